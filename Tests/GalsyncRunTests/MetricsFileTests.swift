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
