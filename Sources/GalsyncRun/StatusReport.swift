import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncCrypto
import GalsyncJSON
import GalsyncText
import SyncStore

/// `galsync status`: what the state database says (last cycles, mailboxes and their problems,
/// the deltaLink's age) and the certificate's days left. Reads local files only.
public struct StatusReport: Sendable {
    public let json: JSONValue
    public let text: String

    public init(config: Configuration, store: StateStore, now: Date = Date()) throws {
        let cycles = try store.recentCycles(limit: 5)
        let mailboxes = try store.mailboxes()
        let managed = try store.managedContactCount()
        let deltaAge = try store.meta("delta_saved").flatMap(Double.init).map { now.timeIntervalSince1970 - $0 }
        var certDays: Int?
        if let data = FileManager.default.contents(atPath: config.tenant.certificate), let cert = try? Certificate(pemOrDER: data) {
            certDays = CertificateTool.daysLeft(cert, now: now)
        }
        let byState = Dictionary(grouping: mailboxes.values, by: \.state).mapValues(\.count)
        let iso = ISO8601DateFormatter()
        json = [
            "cycles": .array(cycles.map { c in
                ["id": .number(Double(c.id)), "started": .string(iso.string(from: c.started)), "outcome": c.outcome.json,
                 "created": .number(Double(c.created)), "updated": .number(Double(c.updated)), "deleted": .number(Double(c.deleted)),
                 "mailboxes_failed": .number(Double(c.mailboxesFailed)), "pending": .number(Double(c.pending)), "requests": .number(Double(c.requests)), "message": c.message.json]
            }),
            "mailboxes": .object(byState.mapValues { .number(Double($0)) }),
            "problems": .object(Dictionary(uniqueKeysWithValues: mailboxes.values.filter { $0.reason != nil && $0.state != "ok" }.map { ($0.ownerId, JSONValue.string("\($0.state): \($0.reason!)")) })),
            "managed_contacts": .number(Double(managed)),
            "delta_link_age_s": deltaAge.map { .number($0.rounded()) } ?? .null,
            "certificate_days_left": certDays.map { .number(Double($0)) } ?? .null,
        ]
        var lines: [String] = []
        if let last = cycles.first {
            lines.append("last cycle #\(last.id) \(iso.string(from: last.started)): \(last.outcome ?? "unfinished") — created \(last.created), updated \(last.updated), deleted \(last.deleted), \(last.mailboxesFailed) mailboxes failed" + (last.pending > 0 ? ", \(last.pending) operations pending" : "") + (last.message.map { " (\($0))" } ?? ""))
        } else {
            lines.append("no cycle has run yet")
        }
        lines.append("mailboxes: " + byState.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "; \(managed) managed contacts")
        for m in mailboxes.values.sorted(by: { $0.ownerId < $1.ownerId }) where m.state != "ok" && m.reason != nil {
            lines.append("  \(m.ownerId): \(m.state): \(m.reason!)")
        }
        lines.append("directory deltaLink: " + (deltaAge.map { "saved \(Int($0 / 60)) min ago" } ?? "none yet (the next cycle reads every user)"))
        lines.append("certificate: " + (certDays.map(Self.certificateState) ?? "cannot read \(config.tenant.certificate)"))
        // Reasons and cycle messages quote Graph's text (rows older than the sanitising of
        // errors may hold it raw): every line is one line without control characters.
        text = lines.map(SafeText.line).joined(separator: "\n")
    }

    /// "expires in N days", or how long ago it expired, with what to do when it is due.
    static func certificateState(_ days: Int) -> String {
        switch days {
        case ..<(-1): "EXPIRED \(-days) days ago: galsync cannot sign in; make a new one with 'galsync cert new' and upload it"
        case -1: "EXPIRED yesterday: galsync cannot sign in; make a new one with 'galsync cert new' and upload it"
        case 0: "expires today: renew now ('galsync cert new', upload, switch)"
        case 1: "expires tomorrow: renew now ('galsync cert new', upload, switch)"
        case ..<30: "expires in \(days) days: renew soon ('galsync cert new', upload, switch)"
        default: "expires in \(days) days"
        }
    }
}
