import Foundation
import GalsyncConfig
import GalsyncCrypto

/// A Prometheus textfile (for node_exporter's textfile collector) written atomically after each
/// cycle to `sync.metrics_file`, mode 0640. No port is opened.
enum MetricsFile {
    static func write(summary s: CycleSummary, config: Configuration, runtime: GalsyncRuntime) throws {
        guard let path = config.sync.metricsFile else { return }
        var certDays = "NaN"
        if let data = FileManager.default.contents(atPath: config.tenant.certificate), let cert = try? Certificate(pemOrDER: data) {
            certDays = String(CertificateTool.daysLeft(cert))
        }
        var lines = [
            "# HELP galsync_cycle_duration_seconds Duration of the last sync cycle.",
            "# TYPE galsync_cycle_duration_seconds gauge",
            "galsync_cycle_duration_seconds \(s.duration)",
            "# HELP galsync_last_success_timestamp_seconds When the last cycle without failed mailboxes ended.",
            "# TYPE galsync_last_success_timestamp_seconds gauge",
        ]
        if s.mailboxesFailed == 0 { lines.append("galsync_last_success_timestamp_seconds \(Int(Date().timeIntervalSince1970))") }
        lines += [
            "# HELP galsync_contacts_total Contact operations in the last cycle.",
            "# TYPE galsync_contacts_total gauge",
            "galsync_contacts_total{op=\"created\"} \(s.created)", "galsync_contacts_total{op=\"updated\"} \(s.updated)",
            "galsync_contacts_total{op=\"deleted\"} \(s.deleted)", "galsync_contacts_total{op=\"unchanged\"} \(s.unchanged)",
            "# HELP galsync_requests_total HTTP requests sent in the last cycle, by status.",
            "# TYPE galsync_requests_total gauge",
        ]
        for (status, n) in runtime.graph.metrics.byStatus.sorted(by: { $0.key < $1.key }) { lines.append("galsync_requests_total{status=\"\(status)\"} \(n)") }
        lines += [
            "# HELP galsync_throttled_total Responses and batch items answered 429 in the last cycle.",
            "# TYPE galsync_throttled_total gauge", "galsync_throttled_total \(s.throttled)",
            "# HELP galsync_mailboxes Mailboxes by outcome in the last cycle.", "# TYPE galsync_mailboxes gauge",
            "galsync_mailboxes{state=\"ok\"} \(s.mailboxesOK)", "galsync_mailboxes{state=\"failed\"} \(s.mailboxesFailed)",
            "galsync_mailboxes{state=\"skipped\"} \(s.mailboxesSkipped)",
            "# HELP galsync_certificate_days_left Days until the app certificate expires.", "# TYPE galsync_certificate_days_left gauge",
            "galsync_certificate_days_left \(certDays)",
        ]
        try SecretFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path, mode: 0o640)
    }
}
