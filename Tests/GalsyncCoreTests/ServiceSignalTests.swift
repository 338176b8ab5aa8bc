import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// Signals at awkward moments: a reload right after READY or during a cycle, SIGUSR1 for a
/// cycle now, SIGTERM while a cycle plans, SIGINT and SIGTERM during a one-shot `sync`. The
/// process stops promptly, says how the cycle ended, and the watchdog keeps pinging while the
/// cycle works.
@Suite(.serialized) struct ServiceSignalTests {
    /// Writes the harness's configuration and returns its path.
    static func configFile(_ h: SyncHarness) throws -> String {
        let path = h.install.dir.appendingPathComponent("galsync.toml").path
        try CrashRecoveryTests.toml(h.config).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func run(_ h: SyncHarness, _ socket: NotifySocket, watchdogMicroseconds: Int? = nil) throws -> ChildProcess {
        let child = ChildProcess(CrashRecoveryTests.binary, ["run", "--config", try configFile(h)])
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = socket.path
        if let watchdogMicroseconds { environment["WATCHDOG_USEC"] = String(watchdogMicroseconds) }
        child.process.environment = environment
        try child.start()
        return child
    }

    @Test(.timeLimit(.minutes(2)))
    func aReloadRightAfterReadyIsHandled() async throws {
        try await SyncHarness.with(users: 6) { h in
            for attempt in 1...5 {
                let socket = try NotifySocket()
                let child = try Self.run(h, socket)
                try await socket.waitFor("READY=1")
                kill(child.process.processIdentifier, SIGHUP)
                try await socket.waitFor("RELOADING=1", seconds: 10)
                #expect(child.isRunning, "attempt \(attempt): a SIGHUP right after READY ended the service")
                kill(child.process.processIdentifier, SIGTERM)
                #expect(await child.wait() == 0, "attempt \(attempt)")
            }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func theWatchdogKeepsPingingThroughAReloadDuringACycle() async throws {
        // One batch in flight at a time (the watchdog sees progress when answers come: a ping
        // needs one since the last), each of 20 contacts at 150 ms, 4 at a time: an answer every
        // ~0.8 s in a first cycle of about 10 s.
        try await SyncHarness.with(users: 16, { $0.sync.concurrency = 4 }) { h in
            _ = try await h.sim.updateSettings(["latencyMs": 50, "itemLatencyMs": 150])
            let socket = try NotifySocket()
            let child = try Self.run(h, socket, watchdogMicroseconds: 400_000)
            try await socket.waitFor("READY=1")
            try await socket.waitFor("WATCHDOG=1")
            kill(child.process.processIdentifier, SIGHUP)
            try await socket.waitFor("STATUS=configuration reloaded")
            socket.forget()
            try await Task.sleep(for: .seconds(3))
            let seen = socket.received + socket.drain()
            let pings = seen.filter { $0.contains("WATCHDOG=1") }.count
            let cycleEnded = seen.contains { $0.contains("mailboxes,") }
            #expect(!cycleEnded, "the cycle was still running during the 3 s watched")
            #expect(pings >= 3, "\(pings) watchdog pings in the 3 s after a reload, during a busy cycle")
            kill(child.process.processIdentifier, SIGTERM)
            #expect(await child.wait() == 0)
        }
    }

    /// SIGUSR1 (`systemctl kill -s USR1 galsync`) starts a cycle now, not at the end of
    /// sync.interval (15 min here); one sent during a cycle starts another right after it.
    @Test(.timeLimit(.minutes(2)))
    func sigusr1StartsACycleNow() async throws {
        try await SyncHarness.with(users: 6) { h in
            let socket = try NotifySocket()
            let child = try Self.run(h, socket)
            let pid = child.process.processIdentifier
            try await socket.waitFor("READY=1")
            try await socket.waitFor("mailboxes, 0 failed")  // the first cycle's end
            _ = try await h.sim.updateSettings(["latencyMs": 1_000])  // the next cycles take seconds
            var sent = Date()
            kill(pid, SIGUSR1)
            try await socket.waitFor("STATUS=cycle 2: ", seconds: 10)
            #expect(Date().timeIntervalSince(sent) < 3, "cycle 2 started \(Date().timeIntervalSince(sent)) s after SIGUSR1")
            sent = Date()
            kill(pid, SIGUSR1)  // cycle 2 is waiting on its first request
            try await socket.waitFor("STATUS=cycle 3: ", seconds: 20)
            let took = Date().timeIntervalSince(sent)
            #expect(took > 0.5 && took < 15, "cycle 3 started \(took) s after a SIGUSR1 sent during cycle 2")
            #expect(child.isRunning, "SIGUSR1 ended the service")
            kill(pid, SIGTERM)
            #expect(await child.wait() == 0)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func sigtermWhilePlanningStopsWithinFiveSeconds() async throws {
        try await SyncHarness.with(users: 20) { h in
            _ = try await h.sim.updateSettings(["latencyMs": 1_000])  // each request takes 1 s
            let socket = try NotifySocket()
            let child = try Self.run(h, socket)
            try await socket.waitFor("READY=1")
            // Past the directory read (1 s), into planning (the folder lookups, GETs, which a stop
            // aborts at once; a $batch of creates already sent would get up to 5 s to be answered).
            try await Task.sleep(for: .milliseconds(1_500))
            let sent = Date()
            kill(child.process.processIdentifier, SIGTERM)
            let status = await child.wait()
            let took = Date().timeIntervalSince(sent)
            #expect(status == 0)
            #expect(took < 5, "stopped \(took) s after SIGTERM")
            #expect(try StateStore(path: h.statePath).integrityCheck() == "ok")
        }
    }

    @Test(.timeLimit(.minutes(3)), arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalledSyncRecordsAnInterruptedCycle(signal: Int32, exitCode: Int32) async throws {
        try await SyncHarness.with(users: 20) { h in
            _ = try await h.sim.updateSettings(["latencyMs": 300])
            let child = ChildProcess(CrashRecoveryTests.binary, ["sync", "--config", try Self.configFile(h)])
            try child.start()
            // Into the writes: batches of contacts have been answered.
            while await (h.counters()["requests"]?["POST /$batch"]?["200"]?.numberValue ?? 0) < 2 { try await Task.sleep(for: .milliseconds(20)) }
            let sent = Date()
            kill(child.process.processIdentifier, signal)
            #expect(await child.wait() == exitCode)
            #expect(Date().timeIntervalSince(sent) < 5)
            let last = try StateStore(path: h.statePath).recentCycles(limit: 1).first
            #expect(last?.outcome == "interrupted", "\(String(describing: last))")
            #expect((last?.created ?? 0) > 0, "the interrupted cycle records what it wrote")
            _ = try await h.sim.updateSettings(["latencyMs": 0])
            let next = try await h.sync()
            #expect(next.exitStatus == .ok)
            await h.expectExact()
        }
    }
}
