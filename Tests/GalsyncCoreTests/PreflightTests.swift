import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncCrypto
import GraphSimulator
import Logging
import SyncStore
import Testing

/// A simulator on loopback with galsync's app, and the matching configuration.
struct SimulatedInstall {
    static let clientId = "11111111-2222-3333-4444-555555555555"
    let sim: GraphSimulator
    let dir: URL

    init(users: Int = 30, register: Bool = true, roles: [String] = ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite"], certificateDays: Int = 365) async throws {
        sim = try GraphSimulator(seed: TenantSeed(users: users, seed: 11))
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-core-\(UUID().uuidString)")
        var o = CertificateTool.NewOptions(directory: dir.path)
        o.days = certificateDays
        _ = try CertificateTool.makeNew(o)
        if register {
            let cert = try Certificate(pem: try Data(contentsOf: dir.appendingPathComponent("galsync.crt")))
            await sim.registerApp(clientId: Self.clientId, roles: roles, certificates: [cert])
        }
    }

    func config(_ url: String, users: [String] = []) -> Configuration {
        var mailboxes = Configuration.MailboxTargets()
        mailboxes.all = users.isEmpty
        mailboxes.users = users
        return Configuration(
            tenant: .init(id: sim.tenantId, clientId: Self.clientId, certificate: dir.appendingPathComponent("galsync.crt").path,
                          privateKey: dir.appendingPathComponent("galsync.key").path, loginEndpoint: URL(string: url), graphEndpoint: URL(string: url)),
            mailboxes: mailboxes)
    }

    func run<T: Sendable>(_ body: @Sendable @escaping (String) async throws -> T) async throws -> T {
        var logger = Logger(label: "sim")
        logger.logLevel = .critical
        defer { try? FileManager.default.removeItem(at: dir) }
        return try await SimulatorServer(simulator: sim, logger: logger).withRunning(body)
    }
}

@Suite struct PreflightTests {
    func check(_ install: SimulatedInstall, users: [String] = [], url: String? = nil) async throws -> Preflight.Report {
        try await install.run { realURL in
            await Preflight(config: install.config(url ?? realURL, users: users), configPath: "test.toml", environment: [:]).run()
        }
    }

    @Test func everyStepPassesOnAWorkingInstall() async throws {
        let roles = ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite", "MailboxSettings.Read"]
        let report = try await check(try await SimulatedInstall(roles: roles))
        #expect(report.exitStatus == .ok)
        #expect(report.steps.map(\.name) == ["config", "contact fields", "key and certificate", "certificate validity", "token", "permissions", "mailbox types", "directory read", "hidden users", "mailbox"])
        #expect(report.steps.allSatisfy { $0.outcome == .pass })
        // The count comes from the advanced query's @odata.count.
        let hidden = report.steps.first { $0.name == "hidden users" }?.detail ?? ""
        #expect(Int(hidden.prefix { $0.isNumber }) != nil && hidden.contains(" users have showInAddressList = false in Entra"), "\(hidden)")
    }

    @Test func withoutMailboxSettingsReadTheMailboxTypesStepWarnsWithTheFix() async throws {
        let report = try await check(try await SimulatedInstall())
        #expect(report.exitStatus == .ok)
        let step = try #require(report.steps.first { $0.name == "mailbox types" })
        #expect(step.outcome == .warn && step.fix?.contains("MailboxSettings.Read") == true, "\(step)")
    }

    @Test func withPhotosOnCheckReadsOneUsersPhotoAndSaysWhatToGrantWhenRefused() async throws {
        let install = try await SimulatedInstall()
        let report = try await install.run { url in
            var c = install.config(url)
            c.contact.photos = true
            return await Preflight(config: c, configPath: "test.toml", environment: [:]).run()
        }
        let step = try #require(report.steps.first { $0.name == "photos" })
        #expect(report.exitStatus == .ok && step.outcome == .pass && step.detail.hasPrefix("users' photos can be read"), "\(step)")
        // The seeded tenant's photo role comes from User.Read.All; an app without it is refused
        // the directory first, so a refused photo is shown through a canned 403.
        let other = try await SimulatedInstall()
        let refused = try await other.run { url in
            var c = other.config(url)
            c.contact.photos = true
            await other.sim.queueResponse(route: "GET /users/{id}/photo", status: 403, body: Data(#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}"#.utf8))
            return await Preflight(config: c, configPath: "test.toml", environment: [:]).run()
        }
        let warned = try #require(refused.steps.first { $0.name == "photos" }, "\(refused.steps.map(\.line))")
        #expect(refused.exitStatus == .ok && warned.outcome == .warn && warned.fix?.contains("ProfilePhoto.Read.All") == true, "\(warned)")
    }

    /// The shipped example's placeholder ids fail the config step, each with its fix.
    @Test func placeholderIdsFailTheConfigStep() async throws {
        let install = try await SimulatedInstall()
        let report = try await install.run { url in
            var c = install.config(url)
            c.directory.includeGroups = ["00000000-0000-0000-0000-000000000000"]
            return await Preflight(config: c, configPath: "test.toml", environment: [:]).run()
        }
        #expect(report.exitStatus == .config && report.steps.count == 1 && report.steps[0].outcome == .fail)
        #expect(report.steps[0].line.contains("fix: directory.include_groups holds the example's placeholder 00000000-0000-0000-0000-000000000000"), "\(report.steps[0].line)")
        #expect(ConfigSanity.isPlaceholder("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee") && !ConfigSanity.isPlaceholder("6f1c2a3e-0b7d-4e2a-9c55-0d3a1b2c3d4e"))
    }

    /// A sync.folder changed under a state that wrote to the old one: refused by check, with the procedure.
    @Test func aChangedFolderIsRefusedUpFront() async throws {
        let install = try await SimulatedInstall()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-folder-\(UUID())/state.db").path
        defer { try? FileManager.default.removeItem(atPath: (state as NSString).deletingLastPathComponent) }
        let store = try StateStore(path: state)
        try store.setMeta("folder", "Company Directory")
        try store.setMailbox("m1", state: "ok")
        let report = try await install.run { url in
            var c = install.config(url)
            c.sync.state = state
            c.sync.folder = "Staff"
            return await Preflight(config: c, configPath: "test.toml", environment: [:]).run()
        }
        #expect(report.exitStatus == .config && report.steps.last?.name == "state", "\(report.steps.map(\.line))")
        #expect(report.steps.last?.line.contains("sync.folder changed from 'Company Directory' to 'Staff'") == true && report.steps.last?.line.contains("purge --all") == true)
    }

    @Test func missingConsentNamesThePermissionAndTheAdminStep() async throws {
        let report = try await check(try await SimulatedInstall(roles: ["User.Read.All"]))
        #expect(report.exitStatus == .permission)
        let step = try #require(report.steps.last)
        #expect(step.name == "permissions" && step.outcome == .fail)
        #expect(step.detail.contains("GroupMember.Read.All, Contacts.ReadWrite"))
        #expect(step.fix?.contains("Grant admin consent") == true)
    }

    @Test func withoutContactsInTheTokenTheMailboxStepDecides() async throws {
        let report = try await check(try await SimulatedInstall(roles: ["User.Read.All", "GroupMember.Read.All"]))
        let permissions = try #require(report.steps.first { $0.name == "permissions" })
        #expect(permissions.outcome == .warn)
        #expect(report.steps.last?.outcome == .fail && report.steps.last?.detail.contains("ErrorAccessDenied") == true)
        #expect(report.steps.last?.fix?.contains("RBAC for Applications") == true)
        #expect(report.exitStatus == .permission)
    }

    @Test func anUnregisteredCertificateFailsAtTheTokenWithTheUploadHint() async throws {
        let install = try await SimulatedInstall(register: false)
        await install.sim.registerApp(clientId: SimulatedInstall.clientId, roles: [], certificates: [])
        let report = try await check(install)
        #expect(report.exitStatus == .permission)
        #expect(report.steps.last?.name == "token")
        #expect(report.steps.last?.detail.contains("AADSTS700027") == true)
    }

    @Test func anUnreachableServiceIsTransient() async throws {
        let report = try await check(try await SimulatedInstall(), url: "http://127.0.0.1:9")
        #expect(report.exitStatus == .transient)
        #expect(report.steps.last?.name == "token")
    }

    @Test func aUserWithoutAMailboxIsExplained() async throws {
        let install = try await SimulatedInstall(users: 80)
        let state = await install.sim.fullState()
        let noMailbox = try #require(state["users"]?.arrayValue?.first { $0["hasMailbox"] == false && $0["deleted"] == false }?["id"]?.stringValue)
        let report = try await check(install, users: [noMailbox])
        let step = try #require(report.steps.last)
        #expect(step.outcome == .fail && step.detail.contains("MailboxNotEnabledForRESTAPI"))
        #expect(step.fix?.contains("no Exchange Online mailbox") == true)
    }

    @Test func anAccessPolicyDenialIsExplained() async throws {
        let install = try await SimulatedInstall()
        let state = await install.sim.fullState()
        let owners = state["users"]!.arrayValue!.filter { $0["hasMailbox"] == true && $0["deleted"] == false }.map { $0["id"]!.stringValue! }
        try await install.sim.setMailboxScope(clientId: SimulatedInstall.clientId, [owners[0]])
        let report = try await check(install, users: [owners[1]])
        #expect(report.exitStatus == .permission)
        #expect(report.steps.last?.fix?.contains("access policy") == true)
    }

    @Test func anExpiredCertificateStopsBeforeTheTokenRequest() async throws {
        let install = try await SimulatedInstall()
        let report = try await install.run { url in
            await Preflight(config: install.config(url), configPath: "t", environment: [:], now: { Date() + 400 * 86_400 }).run()
        }
        #expect(report.steps.last?.name == "certificate validity" && report.steps.last?.outcome == .fail)
        #expect(await install.sim.counterSnapshot()["tokenRequests"] == 0)
    }
}
