import Foundation
import GalsyncCrypto
import GraphSimulator

/// The key, certificate and configuration `--write-config` leaves for galsync (and the TLS
/// certificate with `--tls`), so the demo needs no manual set-up.
struct DemoFiles: Sendable {
    var directory: URL
    var certificate: Certificate
    var tlsFiles: SimulatorServer.TLSFiles?

    static func make(directory path: String, host: String, tls: Bool) throws -> DemoFiles {
        let dir = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = try PrivateKey.generateRSA(bits: 2048)
        let cert = try Certificate.selfSigned(key: key, subject: "CN=galsync demo,O=Contoso", notAfter: Date() + 365 * 86_400)
        try write(try key.pkcs8PEM(), to: dir.appendingPathComponent("galsync.key"), mode: 0o600)
        try write(try cert.pem(), to: dir.appendingPathComponent("galsync.crt"), mode: 0o644)
        var tlsFiles: SimulatorServer.TLSFiles?
        if tls {
            let tlsKey = try PrivateKey.generateRSA(bits: 2048)
            let tlsCert = try Certificate.selfSigned(key: tlsKey, subject: "CN=galsync-sim", notAfter: Date() + 30 * 86_400,
                                                     subjectAltNames: ["DNS:localhost", "IP:127.0.0.1", "IP:::1"])
            try write(try tlsCert.pem(), to: dir.appendingPathComponent("sim-ca.crt"), mode: 0o644)
            tlsFiles = .init(certificatePEM: String(decoding: try tlsCert.pem(), as: UTF8.self),
                             privateKeyPEM: String(decoding: try tlsKey.pkcs8PEM(), as: UTF8.self))
        }
        return DemoFiles(directory: dir, certificate: cert, tlsFiles: tlsFiles)
    }

    func writeConfig(url: String, tenant: String, clientId: String) throws {
        let d = directory.path
        let toml = """
            # Written by galsync-sim --write-config for the simulator at \(url). Not for production.
            [tenant]
            id = "\(tenant)"
            client_id = "\(clientId)"
            certificate = "\(d)/galsync.crt"
            private_key = "\(d)/galsync.key"
            login_endpoint = "\(url)"
            graph_endpoint = "\(url)"
            \(tlsFiles != nil ? "ca_file = \"\(d)/sim-ca.crt\"\n" : "")
            [sync]
            interval = "1m"
            state = "\(d)/state.db"
            folder = "Company Directory"
            full_reconcile = "24h"
            max_deletes_percent = 20

            [directory]
            include_guests = false
            include_disabled = false
            require = ["mail"]

            [mailboxes]
            all = true

            [contact]
            exclude_fields = []

            """
        try Self.write(Data(toml.utf8), to: directory.appendingPathComponent("galsync.toml"), mode: 0o600)
    }

    static func write(_ data: Data, to url: URL, mode: mode_t) throws {
        try SecretFile.write(data, to: url.path, mode: mode)
    }
}
