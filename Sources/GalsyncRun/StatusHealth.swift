import Foundation
import SyncStore

/// `galsync status --check`: health in the Nagios plugin convention (the operator contract):
/// one line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
public struct StatusHealth: Sendable, Equatable {
    public enum Level: Int32, Sendable, Comparable {
        case ok = 0, warning = 1, critical = 2, unknown = 3
        /// Severity, for combining reasons: CRITICAL outranks UNKNOWN (an expired certificate
        /// before the first cycle is still CRITICAL), although its exit code is lower.
        var rank: Int { [0, 1, 3, 2][Int(rawValue)] }
        public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
        public var word: String { ["OK", "WARNING", "CRITICAL", "UNKNOWN"][Int(rawValue)] }
    }

    public var level: Level
    public var reasons: [String]

    /// "GALSYNC WARNING: 2 mailboxes failed (alice@contoso.com, bob@contoso.com); ..."
    public var line: String { "GALSYNC \(level.word): " + reasons.joined(separator: "; ") }

    /// CRITICAL when no cycle succeeded within 3 × `interval` (at least 1 h) or the
    /// certificate has expired; WARNING when the last cycle failed or was killed, a mailbox
    /// failed or operations are pending, or the certificate expires within 30 days; UNKNOWN
    /// when no cycle has run yet. A cycle that ended with failed mailboxes (`partial`) has
    /// succeeded: the others were done.
    public static func assess(cycles: [StateStore.CycleRecord], lastSuccess: StateStore.CycleRecord?, running: StateLockHolder?,
                              failing: [String], pending: Int, certificateDays: Int?, interval: TimeInterval, now: Date) -> StatusHealth {
        var worst = Level.ok
        var reasons: [String] = []
        func add(_ level: Level, _ reason: String) {
            worst = max(worst, level)
            reasons.append(reason)
        }
        let window = max(3 * interval, 3600)
        if let last = cycles.first {
            if let success = lastSuccess {
                let age = now.timeIntervalSince(success.finished ?? success.started)
                if age > window { add(.critical, "no cycle succeeded for \(Ago.text(age)) (limit \(Ago.text(window)))") }
            } else if let first = cycles.last, now.timeIntervalSince(first.started) > window {
                add(.critical, "no cycle has succeeded yet (the first of those recorded began \(Ago.text(now.timeIntervalSince(first.started))) ago)")
            }
            switch StatusReport.outcome(last, running: running, isNewest: true) {
            case .failed(let why): add(.warning, "the last cycle #\(last.id) failed: \(why.prefix(160))")
            case .killed: add(.warning, "the last cycle #\(last.id) was killed before it could record its end")
            default: break
            }
        } else {
            add(.unknown, "no cycle has run yet")
        }
        if !failing.isEmpty {
            add(.warning, "\(failing.count) mailbox\(failing.count == 1 ? "" : "es") failed (\(failing.prefix(3).joined(separator: ", "))\(failing.count > 3 ? ", …" : ""))")
        }
        if pending > 0 { add(.warning, "\(pending) operations unconfirmed; the next cycle lists those mailboxes") }
        if let days = certificateDays {
            if days < 0 { add(.critical, "the certificate EXPIRED \(-days) days ago") } else if days < 30 { add(.warning, "the certificate expires in \(days) days") }
        } else {
            add(.warning, "the certificate cannot be read")
        }
        if reasons.isEmpty, let last = cycles.first {
            reasons.append("last cycle #\(last.id) \(Ago.text(now.timeIntervalSince(last.finished ?? last.started))) ago" + (certificateDays.map { ", certificate expires in \($0) days" } ?? ""))
        }
        return StatusHealth(level: worst, reasons: reasons)
    }
}

/// "14 min", "3 h 5 min", "2 days": how long, for people.
enum Ago {
    static func text(_ seconds: TimeInterval) -> String {
        let s = Int(min(max(0, seconds.isNaN ? 0 : seconds), 1e12))
        switch s {
        case 0 where seconds > 0: return "under 1 s"
        case ..<60: return "\(s) s"
        case ..<3600: return "\(s / 60) min"
        case ..<86_400: return s % 3600 / 60 == 0 ? "\(s / 3600) h" : "\(s / 3600) h \(s % 3600 / 60) min"
        default: return "\(s / 86_400) day\(s / 86_400 == 1 ? "" : "s")"
        }
    }
}
