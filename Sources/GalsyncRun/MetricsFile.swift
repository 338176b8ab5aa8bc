import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncCrypto

/// A Prometheus textfile (for node_exporter's textfile collector) written atomically after
/// every cycle, failed ones too, to `sync.metrics_file`, mode 0640. No port is opened.
///
/// Prometheus conventions: `_total` series are counters since the service started (Prometheus
/// handles the reset at a restart); `galsync_last_cycle_*` series are gauges about the last
/// cycle only; the last success time survives failed cycles, so an alert on its age works.
///
/// Every counter is kept here, added up from each cycle's own figures: a reload (SIGHUP)
/// makes a new runtime whose `RequestMetrics` start at zero, so the file never reads the
/// runtime's running totals; the service passes each cycle's difference (`delta`).
struct MetricsFile: Sendable {
    /// What the service has counted since it started.
    var cycles: [String: Int] = [:]
    var contacts: [String: Int] = [:]
    var throttled = 0
    /// Graph's answers by HTTP status, 0 for none (a transport error), added up cycle by cycle.
    var requests: [Int: Int] = [:]
    var lastSuccess: Date?
    var last: CycleSummary?
    var lastDuration: TimeInterval = 0
    /// The tenant's name in a many-tenant install: every sample carries `tenant="NAME"`, so
    /// that one textfile collector folder holds every tenant's file.
    var tenant = ""

    /// Counts one finished cycle: `summary` when it ran to the end (perhaps with failed
    /// mailboxes), nil when it failed as a whole; `requests`, the cycle's own answers by status
    /// (see `delta`), failed cycles included.
    mutating func record(_ summary: CycleSummary?, duration: TimeInterval, at now: Date, requests cycleRequests: [Int: Int] = [:]) {
        for (status, n) in cycleRequests where n > 0 { requests[status, default: 0] += n }
        lastDuration = summary?.duration ?? duration
        last = summary
        guard let s = summary else { cycles["error", default: 0] += 1; return }
        cycles[s.exitStatus == .ok ? "ok" : "partial", default: 0] += 1
        if s.exitStatus == .ok { lastSuccess = now }
        contacts["created", default: 0] += s.created
        contacts["updated", default: 0] += s.updated
        contacts["deleted", default: 0] += s.deleted
        throttled += s.throttled
    }

    /// What a runtime's counts by status grew by between two readings (`before` taken as the
    /// cycle started): the cycle's own requests, whatever the runtime counted before.
    static func delta(from before: [Int: Int], to after: [Int: Int]) -> [Int: Int] {
        after.reduce(into: [:]) { out, entry in
            let n = entry.value - before[entry.key, default: 0]
            if n > 0 { out[entry.key] = n }
        }
    }

    /// The `status` label of `galsync_requests_total`: the HTTP status, or `transport_error`
    /// for a request that got no HTTP answer (connection, TLS, timeout, aborted).
    static func statusLabel(_ status: Int) -> String { status == 0 ? "transport_error" : "\(status)" }

    /// The file's text with the counters added up so far.
    func render(certificateDaysLeft: Int?) -> String { render(requestsByStatus: requests, certificateDaysLeft: certificateDaysLeft) }

    /// The file's text: pure, so tests need no service.
    func render(requestsByStatus: [Int: Int], certificateDaysLeft: Int?) -> String {
        var out: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += ["# HELP \(name) \(help)", "# TYPE \(name) \(type)"]
            for (labels, value) in samples { out.append("\(name)\(tenantLabel(labels)) \(value)") }
        }
        let outcomes = ["ok", "partial", "error"]
        metric("galsync_cycles_total", "counter", "Cycles since the service started, by outcome (partial: some mailboxes failed or operations stayed unconfirmed).",
               outcomes.map { ("{outcome=\"\($0)\"}", "\(cycles[$0, default: 0])") })
        metric("galsync_contacts_written_total", "counter", "Contacts created, updated and deleted since the service started.",
               ["created", "updated", "deleted"].map { ("{op=\"\($0)\"}", "\(contacts[$0, default: 0])") })
        // transport_error is always there (0 until one happens), so an alert on its rate has a series.
        metric("galsync_requests_total", "counter", "Requests to Graph since the service started, by HTTP status of the answer; transport_error: no answer (connection, TLS or timeout error).",
               requestsByStatus.merging([0: 0]) { a, _ in a }.sorted { $0.key < $1.key }.map { ("{status=\"\(Self.statusLabel($0.key))\"}", "\($0.value)") })
        metric("galsync_throttled_items_total", "counter", "Requests and batch items answered 429 since the service started.", [("", "\(throttled)")])
        metric("galsync_last_cycle_duration_seconds", "gauge", "Duration of the last cycle.", [("", "\(lastDuration)")])
        metric("galsync_last_cycle_success", "gauge", "1 when the last cycle ended with no failed mailbox and nothing pending, else 0.",
               [("", last.map { $0.exitStatus == .ok ? "1" : "0" } ?? "0")])
        if let s = last {
            metric("galsync_last_cycle_contacts", "gauge", "Contacts by operation in the last cycle.",
                   [("created", s.created), ("updated", s.updated), ("deleted", s.deleted), ("unchanged", s.unchanged)].map { ("{op=\"\($0.0)\"}", "\($0.1)") })
            metric("galsync_last_cycle_mailboxes", "gauge", "Mailboxes by outcome in the last cycle.",
                   [("ok", s.mailboxesOK), ("failed", s.mailboxesFailed), ("skipped", s.mailboxesSkipped)].map { ("{state=\"\($0.0)\"}", "\($0.1)") })
            metric("galsync_last_cycle_pending_operations", "gauge", "Operations still unconfirmed when the last cycle ended (listed again next cycle).", [("", "\(s.pending)")])
            metric("galsync_last_cycle_throttled_items", "gauge", "Requests and batch items answered 429 in the last cycle.", [("", "\(s.throttled)")])
            if let p = s.photos {
                metric("galsync_last_cycle_photos", "gauge", "Photos in the last cycle: users' photos checked and downloaded, put on contacts, contacts made again without one, writes failed (tried again next cycle).",
                       [("checked", p.checked), ("downloaded", p.downloaded), ("written", p.written), ("recreated", p.recreated), ("failed", p.failed)]
                        .map { ("{op=\"\($0.0)\"}", "\($0.1)") })
            }
        }
        if let lastSuccess {
            metric("galsync_last_success_timestamp_seconds", "gauge", "When the last cycle with no failed mailbox ended (kept across failed cycles).",
                   [("", "\(Int(lastSuccess.timeIntervalSince1970))")])
        }
        metric("galsync_certificate_days_left", "gauge", "Days until the app certificate expires (NaN when it cannot be read).",
               [("", certificateDaysLeft.map(String.init) ?? "NaN")])
        return out.joined(separator: "\n") + "\n"
    }

    /// `labels` with the tenant's label first (none for a single-tenant install).
    func tenantLabel(_ labels: String) -> String {
        guard !tenant.isEmpty else { return labels }
        return labels.isEmpty ? "{tenant=\"\(tenant)\"}" : "{tenant=\"\(tenant)\"," + labels.dropFirst()
    }

    /// Writes the file, when `sync.metrics_file` is set.
    func write(config: Configuration) throws {
        var file = self
        file.tenant = config.name
        guard let path = config.sync.metricsFile else { return }
        var days: Int?
        if let data = FileManager.default.contents(atPath: config.tenant.certificate), let cert = try? Certificate(pemOrDER: data) {
            days = CertificateTool.daysLeft(cert)
        }
        try SecretFile.write(Data(file.render(certificateDaysLeft: days).utf8), to: path, mode: 0o640)
    }
}
