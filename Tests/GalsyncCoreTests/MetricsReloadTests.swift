import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// The service's Prometheus textfile through the real binary: a SIGHUP reload makes a new
/// runtime whose request counts start at zero, and no `_total` series may go down for it.
@Suite(.serialized) struct MetricsReloadTests {
    /// Every sample of every counter (`..._total`) in a textfile.
    static func counters(_ path: String) -> [String: Double] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, parts[0].split(separator: "{")[0].hasSuffix("_total") else { continue }
            out[String(parts[0])] = Double(parts[1])
        }
        return out
    }

    /// The counters once the file counts `cycles` ok cycles (it is written just after the
    /// cycle's STATUS= line).
    static func counters(_ path: String, afterCycles cycles: Int) async throws -> [String: Double] {
        let deadline = Date() + 20
        while Date() < deadline {
            let now = counters(path)
            if now["galsync_cycles_total{outcome=\"ok\"}", default: 0] >= Double(cycles) { return now }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the metrics file never counted \(cycles) cycles: \(counters(path))")
        return counters(path)
    }

    @Test func countersNeverGoDownAcrossAReload() async throws {
        try await SyncHarness.with(users: 12) { h in
            let configPath = h.install.dir.appendingPathComponent("galsync.toml").path
            let metricsPath = h.install.dir.appendingPathComponent("galsync.prom").path
            let toml = CrashRecoveryTests.toml(h.config).replacingOccurrences(of: "[sync]\n", with: "[sync]\nmetrics_file = \"\(metricsPath)\"\n")
            try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
            let socket = try NotifySocket()
            let child = ChildProcess(CrashRecoveryTests.binary, ["run", "--config", configPath])
            child.process.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": socket.path]) { $1 }
            try child.start()
            try await socket.waitFor("mailboxes, 0 failed")  // the first cycle (a full one: many requests)
            let first = try await Self.counters(metricsPath, afterCycles: 1)
            let firstOK = try #require(first["galsync_requests_total{status=\"200\"}"], "\(first)")
            #expect(first["galsync_requests_total{status=\"transport_error\"}"] == 0, "\(first)")
            #expect(first.keys.allSatisfy { !$0.contains("status=\"0\"") })

            // A reload (a new runtime, its request counts at zero), then a cycle now; twice.
            var previous = first
            for round in 1...2 {
                socket.forget()
                kill(child.process.processIdentifier, SIGHUP)
                try await socket.waitFor("STATUS=configuration reloaded")
                socket.forget()
                kill(child.process.processIdentifier, SIGUSR1)
                try await socket.waitFor("mailboxes, 0 failed")
                let now = try await Self.counters(metricsPath, afterCycles: round + 1)
                for (series, value) in previous {
                    #expect(now[series, default: -1] >= value, "round \(round): \(series) went from \(value) to \(now[series] ?? -1)")
                }
                #expect(now["galsync_cycles_total{outcome=\"ok\"}"] == Double(round + 1), "\(now)")
                previous = now
            }
            #expect(previous["galsync_requests_total{status=\"200\"}", default: 0] > firstOK, "the cycles after the reloads sent requests too: \(previous)")
            kill(child.process.processIdentifier, SIGTERM)
            #expect(await child.wait() == 0)
        }
    }
}
