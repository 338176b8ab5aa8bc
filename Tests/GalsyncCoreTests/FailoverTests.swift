import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncJSON
import GalsyncPostgres
import GraphSimulator
import Logging
import ProcessSupport
import SyncStore
import Testing

/// Three `galsync run` nodes sharing three tenants' state in a real PostgreSQL (a throwaway
/// cluster): a node killed mid-batch loses its tenant to another within the lease and every
/// tenant ends exact; a paused node whose lease expired writes nothing when it wakes.
@Suite(.serialized) struct FailoverTests {
    static let binary = CrashRecoveryTests.binary
    static let lease = 10.0

    /// A tenant file without `state`: each node keeps its working copy under its own
    /// STATE_DIRECTORY, as nodes on separate machines would.
    static func tenantFile(_ name: String, _ config: Configuration) -> String {
        "name = \"\(name)\"\n" + CrashRecoveryTests.toml(config).split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("state = ") }.joined(separator: "\n")
    }

    struct Node {
        let name: String
        let child: ChildProcess
        let socket: NotifySocket
    }

    static func startNode(_ name: String, main: String, dir: URL) throws -> Node {
        let socket = try NotifySocket()
        let child = ChildProcess(binary, ["run", "--config", main, "--node", name])
        child.process.environment = ProcessInfo.processInfo.environment.merging([
            "NOTIFY_SOCKET": socket.path, "STATE_DIRECTORY": dir.appendingPathComponent(name).path,
        ]) { $1 }
        try child.start()
        sockets.append(socket)
        return Node(name: name, child: child, socket: socket)
    }

    /// The nodes' notify sockets, drained while a test waits: systemd reads every message, and
    /// a full socket would block a node's sd_notify (datagram queues hold a few hundred).
    nonisolated(unsafe) static var sockets: [NotifySocket] = []

    /// Polls `condition` every 200 ms for up to `seconds`; the seconds it took, or nil.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            for socket in sockets { _ = socket.drain() }
            if try await condition() { return Date().timeIntervalSince(start) }
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    /// PostgreSQL, three tenants (alpha the busiest) and the install's files; `body` gets the
    /// store (for who holds what) and the harnesses.
    static func withInstall(_ body: @escaping @Sendable (LeaseStore, String, URL, [String: SyncHarness]) async throws -> Void) async throws {
        guard let server = try await TestPostgres.startOrSkip() else { return }
        defer { server.stop() }
        try await SyncHarness.with(users: 40) { h in
            let alpha = h
            try await SyncHarness.with(users: 8) { h in
                let bravo = h
                try await SyncHarness.with(users: 8) { h in
                    let charlie = h
                    let dir = alpha.install.dir
                    let folder = dir.appendingPathComponent("tenants.d")
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    let all = ["alpha": alpha, "bravo": bravo, "charlie": charlie]
                    for (name, t) in all { try tenantFile(name, t.config).write(toFile: folder.appendingPathComponent("\(name).toml").path, atomically: true, encoding: .utf8) }
                    let main = dir.appendingPathComponent("main.toml").path
                    try "include = [\"tenants.d/*.toml\"]\n\n[store]\nurl = \"\(server.url)\"\nlease = \"\(Int(lease))s\"\n".write(toFile: main, atomically: true, encoding: .utf8)
                    let store = LeaseStore(url: try PostgresURL.parse(server.url).get(), password: nil, lease: lease, logger: Logger(label: "test"))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { await store.run() }
                        defer { group.cancelAll() }
                        try await store.migrate()
                        try await body(store, main, dir, all)
                    }
                }
            }
        }
    }

    static func holder(_ store: LeaseStore, _ tenant: String) async throws -> String? {
        try await store.holders().first { $0.tenant == tenant }?.node
    }

    @Test func aNodeKilledMidBatchLosesItsTenantWithinTheLeaseAndEveryTenantEndsExact() async throws {
        try await Self.withInstall { store, main, dir, tenants in
            let alpha = tenants["alpha"]!
            var nodes = try ["n1", "n2", "n3"].map { try Self.startNode($0, main: main, dir: dir) }
            defer { for n in nodes where n.child.isRunning { n.child.kill() } }
            // Every tenant taken, by three different nodes (each node's share is one), and synced.
            let spread = try await Self.eventually(40) {
                let h = try await store.holders()
                return h.count == 3 && h.allSatisfy { $0.node != nil && $0.stateAge != nil } && Set(h.compactMap(\.node)).count == 3
            }
            let seen1 = try await store.holders()
            #expect(spread != nil, "tenants spread over the three nodes: \(seen1)")
            // Hires in alpha: a cycle of creates in every mailbox, slow (1 s per item, 4 at a
            // time per mailbox), and alpha's node killed in the middle of it. Its saved state
            // (from the first cycle) knows none of them.
            for i in 0..<15 {
                _ = try await alpha.sim.createUser(["displayName": .string("Hire \(i)"), "givenName": "Hire", "surname": .string("N\(i)"), "mail": .string("hire\(i)@contoso.com"),
                                                   "userPrincipalName": .string("hire\(i)@contoso.com")], hasMailbox: false)
            }
            _ = try await alpha.sim.updateSettings(["itemLatencyMs": 1000])
            let before = (await alpha.counters())["contactWrites"]?.numberValue ?? 0
            let working = try #require(try await Self.holder(store, "alpha"))
            kill(try #require(nodes.first { $0.name == working }).child.process.processIdentifier, SIGUSR1)
            let written = try await Self.eventually(60) { (await alpha.counters())["contactWrites"]?.numberValue ?? 0 > before + 100 }
            #expect(written != nil)
            let victim = try #require(try await Self.holder(store, "alpha"))
            let dead = try #require(nodes.first { $0.name == victim })
            dead.child.kill()
            _ = await dead.child.wait()
            let writesAtKill = (await alpha.counters())["contactWrites"]?.numberValue ?? 0
            let expectedCreates = Double(await alpha.expectedTargets().count * 15)
            #expect(writesAtKill - before < expectedCreates * 0.9, "killed mid-batch: \(writesAtKill - before) of \(expectedCreates) creates written")
            nodes.removeAll { $0.name == victim }
            _ = try await alpha.sim.updateSettings(["itemLatencyMs": 0])
            // Another node takes alpha within the lease (plus a renewal round).
            let took = try await Self.eventually(Self.lease * 2.5) {
                if let h = try await Self.holder(store, "alpha") { return h != victim }
                return false
            }
            let seen2 = try await store.holders()
            #expect(took != nil, "alpha taken over; holders: \(seen2)")
            if let took { #expect(took <= Self.lease + Self.lease / 2, "taken over after \(took) s, lease \(Self.lease) s") }
            // Its first cycle on the new node lists every mailbox and adopts what the dead node
            // wrote after its last save: no contact twice.
            _ = try #require(try await Self.holder(store, "alpha"))
            let exact = try await Self.eventually(60) {
                let saved = try await store.holders().first { $0.tenant == "alpha" }?.stateAge != nil
                return await alpha.differences().isEmpty && saved
            }
            #expect(exact != nil)
            for (name, t) in tenants { await t.expectExact(" (\(name))") }
            // The surviving nodes hold every tenant between them.
            let holders = try await store.holders()
            #expect(Set(holders.compactMap(\.node)).isSubset(of: Set(nodes.map(\.name))), "\(holders)")
            // A one-shot sync of a tenant a node works is refused, naming the node.
            let refused = try await CapturedRun.run(Self.binary, ["sync", "--config", main, "--tenant", "alpha"])
            #expect(refused.status == 75, "\(refused.stderr)")
            #expect(refused.stderr.contains("tenant alpha is worked by node n"), "\(refused.stderr)")
            for n in nodes { kill(n.child.process.processIdentifier, SIGTERM) }
            _ = try await Self.eventually(5) { !nodes.contains { $0.child.isRunning } }
            for n in nodes { #expect(await n.child.wait() == 0) }
            // A clean stop releases the leases.
            let seen3 = try await store.holders()
            #expect(seen3.allSatisfy { $0.node == nil }, "\(seen3)")
            // With no node running: status reads the saved states, sync takes a lease for its
            // cycle (a clean handover: no listing) and lets it go, plan reads a copy.
            let status = try await CapturedRun.run(Self.binary, ["status", "--config", main])
            #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
            #expect(status.stdout.split(separator: "\n").filter { $0.contains("OK") && $0.contains("held by no node") }.count == 3, "\(status.stdout)")
            let sync = try await CapturedRun.run(Self.binary, ["sync", "--config", main, "--tenant", "alpha", "--json"])
            #expect(sync.status == 0, "\(sync.stderr)")
            // A clean handover: no listing of alpha's 38 mailboxes, a quiet cycle's few requests.
            let requests = JSONValue.parse(Data(sync.stdout.utf8))?["requests"]?.numberValue ?? -1
            #expect(requests >= 0 && requests < 15, "a quiet cycle after a clean handover made \(requests) requests: \(sync.stdout.prefix(300))")
            let seen4 = try await store.holders()
            #expect(seen4.allSatisfy { $0.node == nil }, "\(seen4)")
            let plan = try await CapturedRun.run(Self.binary, ["plan", "--config", main, "--tenant", "bravo"])
            #expect(plan.status == 0, "\(plan.stderr)")
            for (name, t) in tenants { await t.expectExact(" (\(name), after the one-shot commands)") }
        }
    }

    @Test func aPausedNodeWhoseLeaseExpiredWritesNothingWhenItWakes() async throws {
        try await Self.withInstall { store, main, dir, tenants in
            let bravo = tenants["bravo"]!
            var nodes = try ["n1", "n2"].map { try Self.startNode($0, main: main, dir: dir) }
            defer { for n in nodes where n.child.isRunning { kill(n.child.process.processIdentifier, SIGCONT); n.child.kill() } }
            let synced = try await Self.eventually(60) {
                var all = true
                for (_, t) in tenants where await !t.differences().isEmpty { all = false }
                return all
            }
            #expect(synced != nil)
            // A change to every contact in bravo, written slowly; the node working bravo is
            // paused in the middle of it.
            let holder = try #require(try await Self.holder(store, "bravo"))
            let paused = try #require(nodes.first { $0.name == holder })
            _ = try await bravo.sim.updateSettings(["itemLatencyMs": 400])
            for user in await bravo.expectedSources() { try await bravo.sim.updateUser(user["id"]!.stringValue!, ["jobTitle": "Retitled"]) }
            let before = (await bravo.counters())["contactWrites"]?.numberValue ?? 0
            kill(paused.child.process.processIdentifier, SIGUSR1)
            let writing = try await Self.eventually(30) { ((await bravo.counters())["contactWrites"]?.numberValue ?? 0) > before }
            #expect(writing != nil)
            kill(paused.child.process.processIdentifier, SIGSTOP)
            let stoppedAt = Date()
            _ = try await bravo.sim.updateSettings(["itemLatencyMs": 0])
            // The other node takes bravo once the lease expired and finishes the change.
            let other = try #require(nodes.first { $0.name != holder })
            let took = try await Self.eventually(Self.lease * 3) { try await Self.holder(store, "bravo") == other.name }
            let seen4 = try await store.holders()
            #expect(took != nil, "\(seen4)")
            let exact = try await Self.eventually(60) { await bravo.differences().isEmpty }
            let left = await bravo.differences()
            #expect(exact != nil, "\(left)")
            try await Task.sleep(for: .seconds(1))
            let writesBeforeWaking = (await bravo.counters())["contactWrites"]?.numberValue ?? 0
            let tokenBefore = try #require(try await store.load("bravo")).token
            // Paused for longer than the lease (another node took it, so its lease has expired).
            _ = try await Self.eventually(Self.lease) { Date().timeIntervalSince(stoppedAt) > Self.lease + 0.5 }
            // Wake the paused node: it must send nothing for bravo and save nothing.
            kill(paused.child.process.processIdentifier, SIGCONT)
            _ = try await Self.eventually(Self.lease / 2) { false }
            #expect((await bravo.counters())["contactWrites"]?.numberValue ?? 0 == writesBeforeWaking, "the woken node wrote to bravo's mailboxes")
            #expect(try #require(try await store.load("bravo")).token == tokenBefore, "the woken node's state write was accepted")
            #expect(try await Self.holder(store, "bravo") == other.name)
            await bravo.expectExact(" (bravo)")
            for n in nodes { kill(n.child.process.processIdentifier, SIGTERM) }
            _ = try await Self.eventually(5) { !nodes.contains { $0.child.isRunning } }
            for n in nodes { #expect(await n.child.wait() == 0) }
            nodes = []
        }
    }
}
