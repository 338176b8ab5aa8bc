import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// SIGKILL a real `galsync sync` child at several points of a cycle, then let a clean cycle
/// run: the end state must be exact, with no duplicates, and the state database intact.
@Suite struct CrashRecoveryTests {
    static var binary: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/galsync").path
    }

    static func toml(_ c: Configuration) -> String {
        """
        [tenant]
        id = "\(c.tenant.id)"
        client_id = "\(c.tenant.clientId)"
        certificate = "\(c.tenant.certificate)"
        private_key = "\(c.tenant.privateKey!)"
        login_endpoint = "\(c.tenant.loginEndpoint.absoluteString)"
        graph_endpoint = "\(c.tenant.graphEndpoint.absoluteString)"

        [sync]
        state = "\(c.sync.state)"
        folder = "\(c.sync.folder)"
        concurrency = \(c.sync.concurrency)

        [mailboxes]
        all = true
        """
    }

    @Test func killedAtAnyMomentThenACleanCycleLeavesAnExactMailbox() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the galsync executable first (scripts/test does)")
        try await SyncHarness.with(users: 20) { h in
            let configPath = h.install.dir.appendingPathComponent("galsync.toml").path
            try Self.toml(h.config).write(toFile: configPath, atomically: true, encoding: .utf8)
            // A complete first cycle, so that later cycles are incremental (no full reconcile due):
            // recovery must then come from the intents recorded before each create.
            #expect(try await ChildProcess.run(Self.binary, ["sync", "--config", configPath]) == 0)
            _ = try await h.sim.updateSettings(["latencyMs": 2])
            var killedAt: [Int] = []
            for (round, point) in [1, 25, 60, 110].enumerated() {
                for n in 0..<6 {
                    _ = try await h.sim.createUser(["displayName": .string("Hire \(round)-\(n)"), "mail": .string("hire\(round)\(n)@contoso.com"),
                                                    "userPrincipalName": .string("hire\(round)\(n)@contoso.com")], hasMailbox: false)
                }
                await h.sim.resetCounters()
                let child = ChildProcess(Self.binary, ["sync", "--config", configPath])
                try child.start()
                while child.isRunning {
                    let writes = await h.sim.counterSnapshot()["contactWrites"]?.numberValue ?? 0
                    if Int(writes) >= point { child.kill(); killedAt.append(Int(writes)); break }
                    try await Task.sleep(for: .milliseconds(1))
                }
                _ = await child.wait()
            }
            #expect(killedAt.count >= 3, "the child was killed mid-cycle: \(killedAt)")
            _ = try await h.sim.updateSettings(["latencyMs": 0])
            #expect(try await ChildProcess.run(Self.binary, ["sync", "--config", configPath]) == 0)
            await h.expectExact()
            #expect(try StateStore(path: h.statePath).integrityCheck() == "ok")
        }
    }
}
