import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// `galsync status` and `status --check` through the real binary, against the simulator:
/// healthy, warning (a mailbox failed, named), critical (no success for too long), unknown
/// (a bad config), the error object of `--json`, and a lock holder named.
@Suite(.serialized) struct StatusCommandTests {
    static var binary: String { CrashRecoveryTests.binary }

    @Test func healthyThenWarningThenCritical() async throws {
        try await SyncHarness.with(users: 12) { h in
            var h = h
            let config = try StateStartupTests.configure(&h, state: h.statePath)
            #expect(try await CapturedRun.run(Self.binary, ["sync", "--config", config]).status == 0)
            var check = try await CapturedRun.run(Self.binary, ["status", "--check", "--config", config])
            #expect(check.status == 0 && check.stdout.hasPrefix("GALSYNC OK: last cycle #1 "), "\(check)")
            let status = try await CapturedRun.run(Self.binary, ["status", "--config", config])
            #expect(status.status == 0 && status.stdout.hasPrefix("not running") && status.stdout.contains("last cycle #1, started "), "\(status.stdout)")

            // One mailbox refused: sync exits 1, status names it, --check warns.
            let targets = await h.expectedTargets()
            let upn = try #require(await h.sim.user(targets[0])?.userPrincipalName)
            try await h.sim.setMailboxScope(clientId: SimulatedInstall.clientId, await h.sim.allUserIds.filter { $0 != targets[0] })
            #expect(try await CapturedRun.run(Self.binary, ["sync", "--reconcile", "--config", config]).status == 1)
            check = try await CapturedRun.run(Self.binary, ["status", "--check", "--config", config])
            #expect(check.status == 1 && check.stdout == "GALSYNC WARNING: 1 mailbox failed (\(upn))\n", "\(check)")
            let named = try await CapturedRun.run(Self.binary, ["status", "--config", config])
            #expect(named.stdout.contains("\n  \(upn): failed: ErrorAccessDenied"), "\(named.stdout)")
            let structured = try await CapturedRun.run(Self.binary, ["status", "--json", "--config", config])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(structured.stdout.utf8)) as? [String: Any])
            let failing = try #require(object["failing"] as? [[String: Any]])
            #expect(failing.first?["upn"] as? String == upn && failing.first?["id"] as? String == targets[0])
            #expect((object["health"] as? [String: Any])?["code"] as? Int == 1)

            // Every recorded cycle two hours old: no success within the window (1 h).
            try StateStartupTests.sql(h.statePath, "UPDATE cycle SET started = started - 7200, finished = finished - 7200")
            check = try await CapturedRun.run(Self.binary, ["status", "--check", "--config", config])
            #expect(check.status == 2 && check.stdout.hasPrefix("GALSYNC CRITICAL: no cycle succeeded for 2 h"), "\(check)")
        }
    }

    @Test func aBadConfigIsUnknownForMonitoringAndAnErrorObjectForScripts() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-status-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/galsync.toml"
        try "[tenant]\nid = \n".write(toFile: config, atomically: true, encoding: .utf8)
        let check = try await CapturedRun.run(Self.binary, ["status", "--check", "--config", config])
        #expect(check.status == 3 && check.stdout.hasPrefix("GALSYNC UNKNOWN: configuration error: "), "\(check)")
        let json = try await CapturedRun.run(Self.binary, ["status", "--json", "--config", config])
        #expect(json.status == 78)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json)")
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? Int == 78 && (error["message"] as? String)?.contains("not valid TOML at line 2") == true && error["fix"] is String, "\(object)")
        // The contract: every --json command prints one JSON object on stdout even when it fails.
        for command in [["sync"], ["plan"], ["why", "alice@contoso.com"]] {
            let run = try await CapturedRun.run(Self.binary, command + ["--json", "--config", config])
            let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            #expect(run.status == 78 && (object?["error"] as? [String: Any])?["code"] as? Int == 78, "\(command): \(run)")
        }
    }

    /// A cycle that fails under --json (here the identity platform refuses the token: the Graph
    /// endpoint is not the cloud's) prints the error object, with the exit status, 77.
    @Test func aFailedCycleUnderJSONPrintsTheErrorObject() async throws {
        try await SyncHarness.with(users: 4) { h in
            var h = h
            h.config.tenant.graphEndpoint = URL(string: "http://127.0.0.1:9")!  // discard port: nothing listens
            let config = try StateStartupTests.configure(&h, state: h.statePath)
            let run = try await CapturedRun.run(Self.binary, ["sync", "--json", "--config", config])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
            let error = try #require(object["error"] as? [String: Any])
            #expect(run.status == 77 && error["code"] as? Int == 77 && (error["message"] as? String)?.contains("token request refused") == true
                    && error["fix"] is String, "\(object)")
        }
    }

    @Test func aHeldLockIsNamedBySyncAndStatus() async throws {
        try await SyncHarness.with(users: 6) { h in
            var h = h
            let config = try StateStartupTests.configure(&h, state: h.statePath)
            #expect(try await CapturedRun.run(Self.binary, ["sync", "--config", config]).status == 0)
            let lock = try StateLock(statePath: h.statePath)
            let sync = try await CapturedRun.run(Self.binary, ["sync", "--config", config])
            #expect(sync.status == 75 && sync.stderr.contains("(pid \(getpid())) is working on the state") && sync.stderr.contains("--wait-lock"), "\(sync.stderr)")
            let waited = try await CapturedRun.run(Self.binary, ["sync", "--wait-lock", "1s", "--config", config])
            #expect(waited.status == 75, "gave up after a second: \(waited.stderr)")
            let status = try await CapturedRun.run(Self.binary, ["status", "--config", config])
            #expect(status.stdout.hasPrefix("running: ") && status.stdout.contains("(pid \(getpid()))"), "\(status.stdout)")
            withExtendedLifetime(lock) {}
        }
    }
}
