import ArgumentParser
import Foundation
import GalsyncCrypto
import GraphSimulator
import Logging

/// `galsync-sim`: the Microsoft identity platform and Graph simulator, on loopback.
@main
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "galsync-sim",
        abstract: "A faithful simulator of the Microsoft identity platform and Microsoft Graph for galsync.",
        discussion: """
            Serves a seeded tenant on loopback: the token endpoint (certificate client assertions), \
            /v1.0/users and /users/delta, groups, mailbox contact folders and contacts, $batch, \
            Outlook throttling (429 + Retry-After) and injected faults. /_sim is its control API. \
            See docs/simulator.md.
            """)

    @Option(help: "Address to listen on; loopback only, since /_sim needs no token.") var host = "127.0.0.1"
    @Option(help: "Port; 0 picks a free one, printed on start.") var port = 0
    @Option(help: "Directory users to make.") var users = 200
    @Option(help: "Seed for the tenant and the fault sequence.") var seed: UInt64 = 42
    @Option(help: "Share of member users with mail that have a mailbox (0...1).") var mailboxShare = 0.92
    @Option(help: "Mail contacts of the tenant (orgContact: partners, suppliers).") var orgContacts = 12
    @Option(help: "Contacts in the 'Vendors' folder of the shared mailbox contacts@contoso.com (the source of a mailbox list); 0 for no such mailbox.") var vendors = 30
    @Option(help: "Write galsync.toml, galsync.key and galsync.crt for a registered app into this directory.") var writeConfig: String?
    @Option(help: "Client id of the registered app (with --write-config).") var clientId = "11111111-2222-3333-4444-555555555555"
    @Option(parsing: .upToNextOption, help: "Application permissions granted to the app.")
    var roles = ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite", "MailboxSettings.Read", "OrgContact.Read.All"]
    @Flag(help: "Serve HTTPS with a generated self-signed certificate (written to --write-config DIR as sim-ca.crt).") var tls = false
    @Option(help: "Write {url, tenantId, clientId} as JSON here once listening.") var readyFile: String?
    @Option(help: "Access token lifetime in seconds.") var tokenLifetime = 3599
    @Option(help: "Concurrent requests per app per mailbox.") var mailboxConcurrency = 4
    @Option(help: "Requests per app per mailbox per window.") var mailboxRequests = 10_000
    @Option(help: "Mailbox rate window in seconds.") var mailboxWindow = 600.0
    @Option(help: "Latency added to every Graph request, ms.") var latencyMs = 0.0
    @Option(help: "Random extra latency up to this many ms.") var jitterMs = 0.0
    @Option(help: "Extra latency per Outlook item (contacts, folders; alone or in a $batch, 4 at a time), ms.") var itemLatencyMs = 0.0
    @Option(help: "Share of Graph requests answered 503.") var rate503 = 0.0
    @Option(help: "Share of Graph requests answered 504.") var rate504 = 0.0
    @Option(help: "Share of Graph requests whose connection is dropped.") var rateDrop = 0.0
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "warning"

    func validate() throws {
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(host) || host.hasPrefix("127.")
        guard loopback else { throw ValidationError("--host must be a loopback address: the control API /_sim has no authentication.") }
        guard users >= 0, (0...1).contains(mailboxShare) else { throw ValidationError("--users must be ≥ 0 and --mailbox-share within 0...1.") }
        if tls, writeConfig == nil { throw ValidationError("--tls needs --write-config DIR to write the CA certificate clients must trust.") }
    }

    func run() async throws {
        var settings = SimulatorSettings()
        settings.tokenLifetimeSeconds = tokenLifetime
        settings.mailboxConcurrency = mailboxConcurrency
        settings.mailboxRequests = mailboxRequests
        settings.mailboxWindowSeconds = mailboxWindow
        settings.latencyMs = latencyMs
        settings.jitterMs = jitterMs
        settings.itemLatencyMs = itemLatencyMs
        settings.rate503 = rate503
        settings.rate504 = rate504
        settings.rateDrop = rateDrop
        settings.faultSeed = seed
        let simulator = try GraphSimulator(seed: TenantSeed(users: users, seed: seed, mailboxShare: mailboxShare, orgContacts: orgContacts), settings: settings)
        if vendors > 0 { try await simulator.seedSharedFolder(contacts: vendors) }

        var written: DemoFiles?
        if let dir = writeConfig {
            written = try DemoFiles.make(directory: dir, host: host, tls: tls)
            await simulator.registerApp(clientId: clientId, roles: roles, certificates: [written!.certificate])
        }
        var logger = Logger(label: "galsync-sim")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let server = SimulatorServer(simulator: simulator, host: host, port: port, tls: written?.tlsFiles, logger: logger)
        let tenant = simulator.tenantId
        let client = clientId.lowercased()
        let ready = readyFile
        let files = written
        try await server.run { url in
            if let files {
                do { try files.writeConfig(url: url, tenant: tenant, clientId: client) } catch {
                    FileHandle.standardError.write(Data("galsync-sim: cannot write the config: \(error)\n".utf8))
                }
            }
            FileHandle.standardOutput.write(Data("galsync-sim listening on \(url) tenant=\(tenant) client_id=\(client)\n".utf8))
            if let ready {
                let json = #"{"url":"\#(url)","tenantId":"\#(tenant)","clientId":"\#(client)"}"#
                try? Data(json.utf8).write(to: URL(fileURLWithPath: ready), options: .atomic)
            }
        }
    }
}
