import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncCrypto
import GraphSimulator
import Testing

/// Certificate rotation, end to end, as the shipped unit runs galsync: the documented
/// procedure (docs/operations.md and docs/authentication.md, "Certificate rotation", which
/// must be the same text) is read from the docs and run line by line on an emulated host
/// against the simulator. There is no systemd here, so `systemctl restart galsync` does what
/// the unit in systemd/galsync.service makes systemd do at start: copy each `LoadCredential=`
/// file, read as root, into a fresh credentials folder (0500, the file 0400, both owned by the
/// service's user), then run the real binary as the unit's user (`DynamicUser=yes`: an
/// unprivileged uid with no files of its own, here `nobody`) with `$CREDENTIALS_DIRECTORY`
/// and `$GALSYNC_CONFIG` set. The service's cycle is a one-shot `galsync sync`, which loads the
/// key and certificate as `galsync run` does (GalsyncRuntime.make).
@Suite(.serialized) struct CertificateRotationTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// What the shipped unit says about the service's user and its credentials.
    struct Unit {
        var dynamicUser = false
        var user: String?
        var configPath = "/etc/galsync/galsync.toml"
        var credentials: [(id: String, path: String)] = []

        static func shipped() throws -> Unit {
            let text = try String(contentsOf: repo.appendingPathComponent("systemd/galsync.service"), encoding: .utf8)
            var unit = Unit()
            for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.hasPrefix("#") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                let key = String(line[..<eq]), value = String(line[line.index(after: eq)...])
                switch key {
                case "DynamicUser": unit.dynamicUser = ["yes", "true", "1", "on"].contains(value)
                case "User": unit.user = value
                case "Environment" where value.hasPrefix("GALSYNC_CONFIG="): unit.configPath = String(value.dropFirst("GALSYNC_CONFIG=".count))
                case "LoadCredential" where value.isEmpty: unit.credentials = []
                case "LoadCredential":
                    let parts = value.split(separator: ":", maxSplits: 1).map(String.init)
                    unit.credentials.append((parts[0], parts.count > 1 ? parts[1] : "/etc/credstore/" + parts[0]))
                default: break
                }
            }
            return unit
        }
    }

    /// The procedure's commands: the lines of the console block in the section, without "# ".
    static func procedure(in doc: String) throws -> (section: String, commands: [String]) {
        let text = try String(contentsOf: repo.appendingPathComponent(doc), encoding: .utf8)
        let start = try #require(text.range(of: "\n## Certificate rotation\n"), "\(doc) has no 'Certificate rotation' section")
        let rest = text[start.upperBound...]
        let section = String(rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)])
        let block = try #require(section.range(of: "```console\n").map { section[$0.upperBound...] }, "\(doc): no console block in the rotation section")
        let commands = block[..<(block.range(of: "```")?.lowerBound ?? block.endIndex)].split(separator: "\n")
            .filter { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) }
        return (section, commands)
    }

    /// A host's /etc/galsync, state folder and credentials folder under one temporary folder.
    final class Host: @unchecked Sendable {
        let top = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-rotation-\(UUID().uuidString.prefix(8))").path
        var etc: String { top + "/etc/galsync" }
        var state: String { top + "/var/lib/galsync" }
        var credentials: String { top + "/run/credentials/galsync.service" }
        let unit: Unit
        let sim: GraphSimulator
        let service = (uid: getpwnam("nobody").pointee.pw_uid, gid: getgrnam("nogroup").pointee.gr_gid)
        /// The file the last `galsync cert show FILE` showed: the certificate `az ... delete` removes.
        var shown: String?
        var log: [String] = []

        init(unit: Unit, sim: GraphSimulator) throws {
            self.unit = unit
            self.sim = sim
            for dir in [top, top + "/etc", top + "/var/lib", top + "/run"] {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                chmod(dir, 0o755)
            }
            // StateDirectory=galsync: the dynamic user's own, 0700.
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            chown(state, service.uid, service.gid)
            chmod(state, 0o700)
        }

        deinit { try? FileManager.default.removeItem(atPath: top) }

        /// A path of the real host, as it is on this one.
        func here(_ text: String) -> String { text.replacingOccurrences(of: "/etc/galsync", with: etc) }

        /// `galsync ARGS` as root in a shell (GALSYNC_CONFIG as root's default would find it).
        func galsync(_ arguments: [String]) async throws -> CapturedRun {
            try await CapturedRun.run("/usr/bin/env", ["GALSYNC_CONFIG=" + here(unit.configPath), CrashRecoveryTests.binary] + arguments)
        }

        /// `systemctl restart galsync`, then one cycle: what systemd does at start, as far as
        /// the key goes, then `galsync sync` as the unit's user. Status 243 (systemd's
        /// EXIT_CREDENTIALS) when a credential file cannot be read.
        func restart() async throws -> CapturedRun {
            try #require(unit.dynamicUser, "the unit has no DynamicUser=yes: emulate its User= here instead of nobody")
            try? FileManager.default.removeItem(atPath: credentials)
            try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
            for credential in unit.credentials {
                guard let data = FileManager.default.contents(atPath: here(credential.path)) else {
                    return CapturedRun(status: 243, stdout: "", stderr: "galsync.service: Failed to set up credentials: cannot read \(here(credential.path))")
                }
                let file = credentials + "/" + credential.id
                try #require(FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: 0o400]))
                chown(file, service.uid, service.gid)
            }
            chown(credentials, service.uid, service.gid)
            chmod(credentials, 0o500)
            return try await CapturedRun.run("/usr/bin/setpriv", ["--reuid=\(service.uid)", "--regid=\(service.gid)", "--clear-groups", "/usr/bin/env",
                                                                  "CREDENTIALS_DIRECTORY=" + credentials, "GALSYNC_CONFIG=" + here(unit.configPath),
                                                                  OtherUserBinary.path, "sync"])
        }

        /// One line of the documented procedure, run here; records a failure if it fails.
        func run(_ line: String, clientId: String) async throws {
            let command = line.range(of: "  #").map { String(line[..<$0.lowerBound]) } ?? line
            let words = command.split(separator: " ").map(String.init)
            let outcome: CapturedRun
            switch words.first {
            case "galsync":
                outcome = try await galsync(words.dropFirst().map(here))
                if words.count == 4, words[1] == "cert", words[2] == "show" { shown = here(words[3]) }
            case "systemctl" where words == ["systemctl", "restart", "galsync"]:
                outcome = try await restart()
            case "az" where words.starts(with: ["az", "ad", "app", "credential", "reset"]):
                // `--cert @FILE`: upload FILE; without --append the CLI replaces every certificate.
                let file = try #require(words.first { $0.hasPrefix("@") }.map { here(String($0.dropFirst())) })
                let certificate = try Certificate(pem: try Data(contentsOf: URL(fileURLWithPath: file)))
                if words.contains("--append") {
                    try await sim.addCertificate(clientId: clientId, certificate)
                } else {
                    await sim.registerApp(clientId: clientId, roles: ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite"], certificates: [certificate])
                }
                outcome = CapturedRun(status: 0, stdout: "", stderr: "")
            case "az" where words.starts(with: ["az", "ad", "app", "credential", "delete"]):
                // The keyId an operator looks up is that of the certificate they just showed.
                let file = try #require(shown, "'\(line)': the procedure must show the certificate to delete first")
                let certificate = try Certificate(pem: try Data(contentsOf: URL(fileURLWithPath: file)))
                try await sim.removeCertificate(clientId: clientId, sha1Thumbprint: certificate.sha1Thumbprint)
                outcome = CapturedRun(status: 0, stdout: "", stderr: "")
            case "install", "cp", "mv", "rm", "mkdir", "chmod", "chown", "ln", "shred":
                outcome = try await CapturedRun.run("/bin/sh", ["-c", here(command)])
            default:
                Issue.record("the rotation procedure has a step this test cannot run: '\(line)'")
                return
            }
            log.append("# \(line)\n\(outcome.stdout)\(outcome.stderr)")
            #expect(outcome.status == 0, "'\(line)' exited \(outcome.status):\n\(outcome.stdout)\(outcome.stderr)")
        }
    }

    static let roles = ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite"]

    /// A host set up as docs/operations.md installs it (root-owned 0755 /etc/galsync, a first
    /// pair from `cert new`, registered on the app; galsync.toml 0644), whose service has run.
    static func installed(_ install: SimulatedInstall, url: String) async throws -> Host {
        let host = try Host(unit: try Unit.shipped(), sim: install.sim)
        #expect(try await CapturedRun.run("/usr/bin/install", ["-d", "-m", "0755", host.etc]).status == 0)
        let made = try await host.galsync(["cert", "new", "--out", host.etc])
        try #require(made.status == 0, "\(made)")
        let first = try Certificate(pem: try Data(contentsOf: URL(fileURLWithPath: host.etc + "/galsync.crt")))
        await install.sim.registerApp(clientId: SimulatedInstall.clientId, roles: roles, certificates: [first])
        var config = install.config(url)
        config.tenant.certificate = "/etc/galsync/galsync.crt"
        config.tenant.privateKey = "/etc/galsync/galsync.key"
        config.sync.state = host.state + "/state.db"
        let toml = host.here(host.unit.configPath)
        try host.here(CrashRecoveryTests.toml(config)).write(toFile: toml, atomically: true, encoding: .utf8)
        chmod(toml, 0o644)
        let check = try await host.galsync(["check"])
        #expect(check.status == 0, "the first pair, root's check: \(check)")
        let cycle = try await host.restart()
        try #require(cycle.status == 0, "the first pair, the unit's first cycle: \(cycle)")
        return host
    }

    static var canRunAsAnotherUser: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") && getpwnam("nobody") != nil && getgrnam("nogroup") != nil
    }

    @Test func theDocumentedRotationWorksWithTheShippedUnit() async throws {
        guard Self.canRunAsAnotherUser else { Issue.record("needs root, setpriv, nobody and nogroup to run galsync as the unit's user"); return }
        let operations = try Self.procedure(in: "docs/operations.md")
        let authentication = try Self.procedure(in: "docs/authentication.md")
        #expect(operations.section == authentication.section, "the rotation sections of docs/operations.md and docs/authentication.md differ")
        #expect(operations.commands.contains { $0.hasPrefix("systemctl restart galsync") }, "the procedure must restart the service: the credential is copied at start")

        let install = try await SimulatedInstall(users: 6, register: false)
        try await install.run { url in
            let host = try await Self.installed(install, url: url)
            // The pair being retired, kept aside by the test (the procedure removes it).
            let old = (cert: try Data(contentsOf: URL(fileURLWithPath: host.etc + "/galsync.crt")),
                       key: try Data(contentsOf: URL(fileURLWithPath: host.etc + "/galsync.key")))

            for line in operations.commands { try await host.run(line, clientId: SimulatedInstall.clientId) }

            // The app now holds only the new certificate, which is the one on the host.
            let app = await install.sim.fullState()["apps"]?.arrayValue?.first { $0["clientId"]?.stringValue == SimulatedInstall.clientId }
            let live = try Certificate(pem: try Data(contentsOf: URL(fileURLWithPath: host.etc + "/galsync.crt")))
            let oldCert = try Certificate(pem: old.cert)
            #expect(app?["certificateThumbprints"] == [.string(Digest.hex(live.sha1Thumbprint).uppercased())], "\(String(describing: app))")
            #expect(live.sha1Thumbprint != oldCert.sha1Thumbprint, "the certificate at /etc/galsync was not replaced")
            // Files as the first install left them, the folders made for the rotation gone.
            let modes = try [host.etc, host.etc + "/galsync.crt", host.etc + "/galsync.key"].map(StateStartupTests.mode)
            #expect(modes == [0o755, 0o644, 0o600], "modes \(modes.map { String($0, radix: 8) })")
            #expect(!FileManager.default.fileExists(atPath: host.etc + "/2027") && !FileManager.default.fileExists(atPath: host.etc + "/old"))

            // After the old certificate's removal the service still works (a later start)...
            let after = try await host.restart()
            #expect(after.status == 0, "a cycle after the old certificate was removed: \(after)")
            // ...and the old pair no longer does: the service really uses the new one.
            let aside = host.top + "/old-pair"
            try FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: aside + "/galsync.crt", contents: old.cert, attributes: [.posixPermissions: 0o644])
            FileManager.default.createFile(atPath: aside + "/galsync.key", contents: old.key, attributes: [.posixPermissions: 0o600])
            let toml = host.here(host.unit.configPath)
            let oldConfig = try String(contentsOfFile: toml, encoding: .utf8).replacingOccurrences(of: host.etc + "/galsync.", with: aside + "/galsync.")
            try oldConfig.write(toFile: aside + "/galsync.toml", atomically: true, encoding: .utf8)
            let refused = try await CapturedRun.run(CrashRecoveryTests.binary, ["check", "--config", aside + "/galsync.toml"])
            #expect(refused.status == 77 && refused.stdout.contains("not registered on app"), "the old pair after its removal: \(refused)")
            print(host.log.joined(separator: "\n"))
        }
    }

    /// The steps authentication.md gave before: the new pair in /etc/galsync/2027 (created 0750
    /// root), tenant.certificate and tenant.private_key pointed there, LoadCredential= left as
    /// it was. Root's `galsync check` passes, and the service cannot start: its user cannot
    /// enter the folder; with the folder opened, its key credential is still the old key.
    @Test func theOldStepsBreakTheShippedUnit() async throws {
        guard Self.canRunAsAnotherUser else { Issue.record("needs root, setpriv, nobody and nogroup to run galsync as the unit's user"); return }
        let install = try await SimulatedInstall(users: 6, register: false)
        try await install.run { url in
            let host = try await Self.installed(install, url: url)
            let made = try await host.galsync(["cert", "new", "--out", host.etc + "/2027"])
            try #require(made.status == 0, "\(made)")
            #expect(try StateStartupTests.mode(host.etc + "/2027") == 0o750)
            let new = try Certificate(pem: try Data(contentsOf: URL(fileURLWithPath: host.etc + "/2027/galsync.crt")))
            try await install.sim.addCertificate(clientId: SimulatedInstall.clientId, new)
            let toml = host.here(host.unit.configPath)
            let pointed = try String(contentsOfFile: toml, encoding: .utf8).replacingOccurrences(of: host.etc + "/galsync.crt", with: host.etc + "/2027/galsync.crt")
                .replacingOccurrences(of: host.etc + "/galsync.key", with: host.etc + "/2027/galsync.key")
            try pointed.write(toFile: toml, atomically: true, encoding: .utf8)
            chmod(toml, 0o644)

            let check = try await host.galsync(["check"])
            #expect(check.status == 0, "root's check passes with the new pair: \(check)")

            let closed = try await host.restart()
            #expect(closed.status == 78 && (closed.stdout + closed.stderr).contains("cannot read the certificate \(host.etc)/2027/galsync.crt (permission denied)"),
                    "the unit's user and a 0750 root folder: \(closed)")

            chmod(host.etc + "/2027", 0o755)
            let stale = try await host.restart()
            #expect(stale.status == 78 && (stale.stdout + stale.stderr).contains("does not belong to the certificate"), "the old key in the credential: \(stale)")
            print("old steps, 0750 folder: \((closed.stdout + closed.stderr).trimmingCharacters(in: .whitespacesAndNewlines))")
            print("old steps, credential not switched: \((stale.stdout + stale.stderr).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
