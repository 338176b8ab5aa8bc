import Foundation
@testable import GalsyncCore
import GalsyncRun
import GalsyncWriter
import GraphSimulator
import ProcessSupport
import Testing

/// Issue 13's progress: one live line on a terminal (on stderr, so stdout keeps the summary
/// and --json), ANSI only when the terminal takes it, nothing extra off a terminal.
@Suite(.serialized) struct ProgressTests {
    @Test func theLineSaysWhereTheCycleIs() {
        var c = CycleProgress.Counts()
        c.cycle = 7
        c.phase = "writing"
        c.mailboxes = 99; c.mailboxesDone = 41
        c.created = 18_204; c.operations = 30_000
        c.waitingUntil = ContinuousClock.now + .seconds(42)
        let line = CycleProgressLine.text(c, requests: 1234, throttled: 12, writingFor: 60)
        #expect(line.hasPrefix("cycle 7: writing 41/99 mailboxes, 18,204 of 30,000 written, 1,234 requests, 12 throttled, waiting "), "\(line)")
        #expect(line.contains(" s (Retry-After), ETA 38 s"), "\(line)")
        var planning = CycleProgress.Counts()
        planning.phase = "planning 40 mailboxes"
        #expect(CycleProgressLine.text(planning, requests: 3, throttled: 0, writingFor: nil) == "planning 40 mailboxes, 3 requests")
    }

    /// `script` gives the child a pseudo-terminal.
    static func onATerminal(_ command: String, environment: [String: String]) async throws -> (status: Int32, output: String) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-pty-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var env = environment
        env["PATH"] = "/usr/bin:/bin"
        let p = SpawnedProcess("/usr/bin/script", ["-qec", command, out])
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.start()
        let status = await p.wait()
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    @Test func aTerminalGetsALiveLineAndAPipeDoesNot() async throws {
        try await SyncHarness.with(users: 30) { h in
            var h = h
            let config = try StateStartupTests.configure(&h, state: h.statePath)
            _ = try await h.sim.updateSettings(["itemLatencyMs": 100])
            let binary = CrashRecoveryTests.binary
            let tty = try await Self.onATerminal("\(binary) sync --config \(config)", environment: ["TERM": "xterm"])
            #expect(tty.status == 0, "\(tty.output)")
            #expect(tty.output.contains("\rcycle 1: ") && tty.output.contains("\u{1B}[K"), "\(tty.output.debugDescription)")
            #expect(tty.output.contains(" written, "), "\(tty.output.debugDescription)")

            _ = try await h.sim.updateSettings(["latencyMs": 300])  // the listings take a while too
            let plain = try await Self.onATerminal("\(binary) sync --reconcile --config \(config)", environment: ["TERM": "xterm", "NO_COLOR": "1"])
            #expect(plain.output.contains("\rcycle 2: ") && !plain.output.contains("\u{1B}"), "NO_COLOR: no escape sequences: \(plain.output.debugDescription)")

            _ = try await h.sim.updateSettings(["latencyMs": 0])
            let piped = try await CapturedRun.run(binary, ["sync", "--reconcile", "--config", config])
            #expect(piped.status == 0 && !piped.stdout.contains("cycle 3:") && piped.stderr.isEmpty, "\(piped)")
            #expect(piped.stdout.hasPrefix("created "), "only the summary on stdout: \(piped.stdout)")

            // purge too: one line, mailbox by mailbox.
            _ = try await h.sim.updateSettings(["latencyMs": 40])
            let purge = try await Self.onATerminal("\(binary) purge --all --yes --config \(config)", environment: ["TERM": "xterm"])
            #expect(purge.status == 0 && purge.output.contains("\rpurging mailbox ") && purge.output.contains(" deleted, "), "\(purge.output.debugDescription)")
        }
    }
}
