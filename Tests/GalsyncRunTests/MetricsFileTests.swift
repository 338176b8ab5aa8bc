import Foundation
import GalsyncCore
@testable import GalsyncRun
import GalsyncCrypto
import Testing

@Suite struct MetricsFileTests {
    func summary(created: Int = 0, failed: Int = 0, throttled: Int = 0) -> CycleSummary {
        var s = CycleSummary()
        s.created = created; s.mailboxesOK = 3; s.mailboxesFailed = failed; s.throttled = throttled; s.duration = 2.5
        return s
    }

    func value(_ text: String, _ series: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }

    @Test func countersAddUpAcrossCyclesAndGaugesDescribeTheLastOne() {
        var m = MetricsFile()
        m.record(summary(created: 10, throttled: 2), duration: 3, at: Date(timeIntervalSince1970: 1000))
        m.record(summary(created: 5, failed: 1), duration: 3, at: Date(timeIntervalSince1970: 2000))
        m.record(nil, duration: 7, at: Date(timeIntervalSince1970: 3000))
        let text = m.render(requestsByStatus: [200: 40, 429: 2], certificateDaysLeft: 200)
        #expect(value(text, "galsync_contacts_written_total{op=\"created\"}") == "15")
        #expect(value(text, "galsync_cycles_total{outcome=\"ok\"}") == "1")
        #expect(value(text, "galsync_cycles_total{outcome=\"partial\"}") == "1")
        #expect(value(text, "galsync_cycles_total{outcome=\"error\"}") == "1")
        #expect(value(text, "galsync_throttled_items_total") == "2")
        #expect(value(text, "galsync_requests_total{status=\"429\"}") == "2")
        // The last cycle failed as a whole: success 0, its duration, and the last success kept.
        #expect(value(text, "galsync_last_cycle_success") == "0")
        #expect(value(text, "galsync_last_cycle_duration_seconds") == "7.0")
        #expect(value(text, "galsync_last_success_timestamp_seconds") == "1000")
        #expect(value(text, "galsync_certificate_days_left") == "200")
    }

    /// A reload makes a new runtime whose request counts start at zero: the file adds up each
    /// cycle's difference, so `galsync_requests_total` never goes down while the process lives.
    @Test func requestCountersKeepCountingAcrossReloads() {
        var m = MetricsFile()
        var previous: [String: Int] = [:]
        // Cycle 1 and 2 on the first runtime (its totals grow), a reload, cycles 3 and 4 on a
        // new runtime counting from zero, then a cycle that fails with transport errors only.
        let readings: [(before: [Int: Int], after: [Int: Int])] = [
            ([:], [200: 40, 429: 2]),
            ([200: 40, 429: 2], [200: 55, 429: 2, 0: 1]),
            ([:], [200: 9]),
            ([200: 9], [200: 20, 503: 1]),
            ([200: 20, 503: 1], [200: 20, 503: 1, 0: 3]),
        ]
        for (n, r) in readings.enumerated() {
            m.record(n == 4 ? nil : summary(created: 1), duration: 1, at: Date(), requests: MetricsFile.delta(from: r.before, to: r.after))
            let text = m.render(certificateDaysLeft: 100)
            var now: [String: Int] = [:]
            // Every sample of every counter (a name ending in _total).
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                if parts[0].split(separator: "{")[0].hasSuffix("_total") { now[String(parts[0])] = Int(parts[1]) }
            }
            for (series, value) in previous {
                #expect(now[series, default: -1] >= value, "cycle \(n + 1): \(series) went from \(value) to \(now[series] ?? -1)")
            }
            previous = now
        }
        let text = m.render(certificateDaysLeft: 100)
        #expect(value(text, "galsync_requests_total{status=\"200\"}") == "\(55 + 20)")
        #expect(value(text, "galsync_requests_total{status=\"429\"}") == "2")
        #expect(value(text, "galsync_requests_total{status=\"503\"}") == "1")
        #expect(value(text, "galsync_requests_total{status=\"transport_error\"}") == "4")
        #expect(value(text, "galsync_cycles_total{outcome=\"error\"}") == "1")
    }

    /// A request that got no HTTP answer is `status="transport_error"`, never `status="0"`; the
    /// series is there (0) before the first one, so an alert on its rate has something to read.
    @Test func transportErrorsHaveTheirOwnLabel() {
        let none = MetricsFile().render(requestsByStatus: [200: 3], certificateDaysLeft: 1)
        #expect(value(none, "galsync_requests_total{status=\"transport_error\"}") == "0")
        let some = MetricsFile().render(requestsByStatus: [0: 2, 200: 3], certificateDaysLeft: 1)
        #expect(value(some, "galsync_requests_total{status=\"transport_error\"}") == "2")
        #expect(!some.contains("status=\"0\""))
        #expect(MetricsFile.delta(from: [200: 5, 0: 1], to: [200: 5, 0: 1]).isEmpty)
    }

    @Test func typesFollowPrometheusConventions() {
        var m = MetricsFile()
        m.record(summary(created: 1), duration: 1, at: Date())
        let text = m.render(requestsByStatus: [200: 1], certificateDaysLeft: nil)
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            #expect(parts[2].hasSuffix("_total") == (parts[3] == "counter"), "\(line): only counters end in _total")
        }
        #expect(value(text, "galsync_certificate_days_left") == "NaN")
        #expect(value(text, "galsync_last_cycle_success") == "1")
    }

    @Test func theFileIsWritten0640WhateverTheUmask() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-metrics-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for mask: mode_t in [0o000, 0o022, 0o077] {
            let old = umask(mask)
            defer { umask(old) }
            let path = dir.appendingPathComponent("m\(mask).prom").path
            try SecretFile.write(Data(MetricsFile().render(requestsByStatus: [:], certificateDaysLeft: 1).utf8), to: path, mode: 0o640)
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o640, "umask \(String(mask, radix: 8)) gave \(String(mode ?? 0, radix: 8))")
        }
    }
}
