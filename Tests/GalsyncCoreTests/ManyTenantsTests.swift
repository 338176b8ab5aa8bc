import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// One `galsync run` serving several tenants (`include = [...]`), each its own simulated
/// Microsoft tenant: a tenant with a broken certificate is reported and the others sync; a
/// big tenant's first cycle does not hold up a small one's; a reload adds and removes tenants
/// without stopping the others.
@Suite struct ManyTenantsTests {
    static let binary = CrashRecoveryTests.binary

    /// Writes `main.toml` with `include` and one file per tenant in `tenants.d`.
    static func writeInstall(_ dir: URL, _ tenants: [(String, Configuration)], extra: [String: String] = [:]) throws -> String {
        let folder = dir.appendingPathComponent("tenants.d")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, config) in tenants {
            try ("name = \"\(name)\"\n" + CrashRecoveryTests.toml(config) + (extra[name] ?? "")).write(toFile: folder.appendingPathComponent("\(name).toml").path, atomically: true, encoding: .utf8)
        }
        let main = dir.appendingPathComponent("main.toml").path
        try "include = [\"tenants.d/*.toml\"]\n".write(toFile: main, atomically: true, encoding: .utf8)
        return main
    }

    @Test func threeTenantsOneBrokenTheOthersSyncAndTheBrokenOneIsReported() async throws {
        try await SyncHarness.with(users: 30) { h in
            let alpha = h
            try await SyncHarness.with(users: 6) { h in
            let bravo = h
                try await SyncHarness.with(users: 6) { h in
            let broken = h
                    // alpha's Graph is slow: its first cycle takes seconds, bravo's must not wait for it.
                    _ = try await alpha.sim.updateSettings(["latencyMs": 40])
                    let dir = alpha.install.dir
                    var bad = broken.config
                    bad.tenant.certificate = dir.appendingPathComponent("broken.crt").path
                    try "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n".write(toFile: bad.tenant.certificate, atomically: true, encoding: .utf8)
                    let metrics = dir.appendingPathComponent("alpha.prom").path
                    let main = try Self.writeInstall(dir, [("alpha", alpha.config), ("bravo", bravo.config), ("broken", bad)])
                    // metrics_file for alpha: appended under its [sync] by rewriting that line.
                    let alphaFile = dir.appendingPathComponent("tenants.d/alpha.toml").path
                    let text = try String(contentsOfFile: alphaFile, encoding: .utf8).replacingOccurrences(of: "[sync]\n", with: "[sync]\nmetrics_file = \"\(metrics)\"\n")
                    try text.write(toFile: alphaFile, atomically: true, encoding: .utf8)

                    // A command must name the tenant it means.
                    let unnamed = try await CapturedRun.run(Self.binary, ["sync", "--config", main])
                    #expect(unnamed.status == 78)
                    #expect(unnamed.stderr.contains("serves 3 tenants (alpha, bravo, broken): add --tenant NAME"), "\(unnamed.stderr)")

                    let socket = try NotifySocket()
                    let child = ChildProcess(Self.binary, ["run", "--config", main])
                    child.process.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "2000000"]) { $1 }
                    try child.start()
                    try await socket.waitFor("READY=1")
                    try await socket.waitFor("broken: cannot start")
                    try await socket.waitFor("bravo: cycle 1: ")
                    try await socket.waitFor("alpha: cycle 1: ", seconds: 120)
                    let order = socket.received.filter { $0.contains("cycle 1: ") && $0.contains("mailboxes") }
                    #expect(order.first?.contains("bravo:") == true, "the small tenant finished first: \(order)")
                    #expect(child.isRunning)
                    kill(child.process.processIdentifier, SIGTERM)
                    try await socket.waitFor("STOPPING=1")
                    #expect(await child.wait() == 0)
                    await alpha.expectExact("alpha")
                    await bravo.expectExact("bravo")
                    let prom = try String(contentsOfFile: metrics, encoding: .utf8)
                    #expect(prom.contains("galsync_last_cycle_success{tenant=\"alpha\"} 1"), "\(prom.prefix(600))")
                    #expect(prom.contains("galsync_contacts_written_total{tenant=\"alpha\",op=\"created\"}"))

                    // status: one line per tenant; --check: the worst, naming the broken tenant.
                    let status = try await CapturedRun.run(Self.binary, ["status", "--config", main])
                    #expect(status.status == 0)
                    let lines = status.stdout.split(separator: "\n")
                    #expect(lines.count == 3, "\(status.stdout)")
                    #expect(lines.first { $0.hasPrefix("alpha") }?.contains("OK") == true, "\(status.stdout)")
                    #expect(lines.first { $0.hasPrefix("broken") }?.contains("WARNING") == true, "\(status.stdout)")
                    let check = try await CapturedRun.run(Self.binary, ["status", "--check", "--config", main])
                    #expect(check.status == 1, "\(check.stdout)")
                    #expect(check.stdout.hasPrefix("GALSYNC WARNING: 3 tenants, 2 OK; broken WARNING: the last cycle #1 failed"), "\(check.stdout)")
                    let one = try await CapturedRun.run(Self.binary, ["status", "--check", "--config", main, "--tenant", "bravo"])
                    #expect(one.status == 0, "\(one.stdout)")
                    let unknown = try await CapturedRun.run(Self.binary, ["plan", "--config", main, "--tenant", "charlie"])
                    #expect(unknown.status == 78)
                    #expect(unknown.stderr.contains("--tenant charlie: no such tenant; this install serves alpha, bravo, broken"), "\(unknown.stderr)")
                }
            }
        }
    }

    @Test func aReloadAddsAndRemovesTenantsWithoutStoppingTheOthers() async throws {
        try await SyncHarness.with(users: 6) { h in
            let alpha = h
            try await SyncHarness.with(users: 6) { h in
            let bravo = h
                try await SyncHarness.with(users: 5) { h in
            let charlie = h
                    let dir = alpha.install.dir
                    let main = try Self.writeInstall(dir, [("alpha", alpha.config), ("bravo", bravo.config)])
                    let socket = try NotifySocket()
                    let child = ChildProcess(Self.binary, ["run", "--config", main])
                    child.process.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": socket.path]) { $1 }
                    try child.start()
                    try await socket.waitFor("alpha: cycle 1: ")
                    try await socket.waitFor("bravo: cycle 1: ")
                    // bravo is held by the service: a one-shot sync of it is refused.
                    let busy = try await CapturedRun.run(Self.binary, ["sync", "--config", main, "--tenant", "bravo"])
                    #expect(busy.status == 75, "\(busy.stderr)")

                    // bravo leaves, charlie comes; and a broken file for alpha keeps alpha as it was.
                    try FileManager.default.removeItem(atPath: dir.appendingPathComponent("tenants.d/bravo.toml").path)
                    try ("name = \"charlie\"\n" + CrashRecoveryTests.toml(charlie.config)).write(toFile: dir.appendingPathComponent("tenants.d/charlie.toml").path, atomically: true, encoding: .utf8)
                    let alphaFile = dir.appendingPathComponent("tenants.d/alpha.toml").path
                    let alphaText = try String(contentsOfFile: alphaFile, encoding: .utf8)
                    try (alphaText + "\n[directory]\ninclde_groups = []\n").write(toFile: alphaFile, atomically: true, encoding: .utf8)
                    socket.forget()
                    kill(child.process.processIdentifier, SIGHUP)
                    try await socket.waitFor("STATUS=reload refused, the previous configuration stays: alpha:")
                    try await socket.waitFor("charlie: cycle 1: ")
                    // bravo's state is free again: the service let go of it.
                    let bravoAlone = dir.appendingPathComponent("bravo-alone.toml").path
                    try CrashRecoveryTests.toml(bravo.config).write(toFile: bravoAlone, atomically: true, encoding: .utf8)
                    let alone = try await CapturedRun.run(Self.binary, ["sync", "--config", bravoAlone])
                    #expect(alone.status == 0, "\(alone.stderr)")
                    // charlie out and back in at once (its loop still stopping at the second
                    // reload): it runs again, not left stopped.
                    let charlieFile = dir.appendingPathComponent("tenants.d/charlie.toml").path
                    let charlieText = try String(contentsOfFile: charlieFile, encoding: .utf8)
                    try FileManager.default.removeItem(atPath: charlieFile)
                    socket.forget()
                    kill(child.process.processIdentifier, SIGHUP)
                    try await socket.waitFor("STATUS=reload refused")  // alpha's file is still broken
                    try charlieText.write(toFile: charlieFile, atomically: true, encoding: .utf8)
                    socket.forget()
                    kill(child.process.processIdentifier, SIGHUP)
                    try await socket.waitFor("charlie: cycle ")
                    // alpha kept running on its previous configuration: a cycle now still works.
                    try alphaText.write(toFile: alphaFile, atomically: true, encoding: .utf8)
                    socket.forget()
                    kill(child.process.processIdentifier, SIGUSR1)
                    try await socket.waitFor("alpha: cycle 2: ")
                    kill(child.process.processIdentifier, SIGTERM)
                    try await socket.waitFor("STOPPING=1")
                    #expect(await child.wait() == 0)
                    await alpha.expectExact("alpha")
                    await charlie.expectExact("charlie")
                    await bravo.expectExact("bravo")
                }
            }
        }
    }
}
