import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncCrypto
import GalsyncJSON
import GalsyncSources
import GalsyncText
import SyncStore

/// `galsync status`: what an on-call engineer needs at a glance, from local files only
/// (the state database read-only, the lock's holder from the kernel, the certificate): running
/// or not, the last cycle and the last one that succeeded, the next one due, failing mailboxes
/// by name, pending work, the deltaLink's age, the certificate. `health` is `status --check`.
public struct StatusReport: Sendable {
    public let json: JSONValue
    public let text: String
    public let health: StatusHealth

    /// How a recorded cycle ended, read with whether a galsync is running now.
    enum Outcome: Equatable {
        case ok, partial, running, interrupted(String?), failed(String), killed
    }

    static func outcome(_ c: StateStore.CycleRecord, running: StateLockHolder?, isNewest: Bool) -> Outcome {
        switch c.outcome {
        case "ok": .ok
        case "partial": .partial
        case "interrupted": .interrupted(c.message)
        case "error": .failed(c.message ?? "unknown error")
        // No outcome: still running if it is the newest and a galsync holds the lock; else its
        // process ended without recording (killed, or the machine stopped).
        default: isNewest && running != nil ? .running : .killed
        }
    }

    public init(config: Configuration, store: StateStore, running: StateLockHolder?, width: Int = 100, now: Date = Date()) throws {
        let cycles = try store.recentCycles(limit: 5)
        let lastSuccess = try store.lastSuccessfulCycle()
        let mailboxes = try store.mailboxes()
        let managed = try store.managedContactCount()
        let relist = try store.ownersWithPendingIntents()
        let deltaAge = try store.meta("delta_saved").flatMap(Double.init).map { now.timeIntervalSince1970 - $0 }
        var certDays: Int?
        // PEM, DER or PKCS#12 (with its passphrase file), as the service reads it.
        if let cert = try? CertificateTool.load(path: config.tenant.certificate, passphraseFile: config.tenant.passphraseFile) {
            certDays = CertificateTool.daysLeft(cert, now: now)
        }
        let failing = mailboxes.values.filter(\.isFailing)
        let skipped = mailboxes.values.filter { $0.state == "skipped" }
        let lists = ListStatus.all(config, home: store)
        let names = try store.people(failing.map(\.ownerId) + skipped.map(\.ownerId) + lists.flatMap { $0.failing.map(\.owner) })
        let handle = { (id: String) in names[id]?.handle ?? id }
        let byState = Dictionary(grouping: mailboxes.values, by: \.state).mapValues(\.count)
        let pending = cycles.first?.pending ?? 0
        // Photos: what the state says is still to put on contacts (a write that failed, a
        // contact made since), and the cache's size on disk.
        // From what the last photo pass recorded: status runs after every cycle of the service and
        // must not read every managed contact.
        var photos: (pending: Int?, whole: Bool, files: Int, bytes: Int)?
        if config.contact.photos {
            let left = try store.meta(SyncEngine.photoWorkLeft).flatMap { Int($0) }
            let usage = PhotoCache(statePath: config.sync.state).usage()
            photos = (left, try store.meta(SyncEngine.photoPassWhole) == "1", usage.files, usage.bytes)
        }
        var nextDue: Date?
        if running?.isService == true, let last = cycles.first, let finished = last.finished { nextDue = finished + config.sync.interval }
        let listFailing = lists.flatMap { l in l.failing.map { "\(handle($0.owner)) (list \(l.list.name))" } }
        health = StatusHealth.assess(cycles: cycles, lastSuccess: lastSuccess, running: running, failing: (failing.map { handle($0.ownerId) } + listFailing).sorted(),
                                     pending: pending, certificateDays: certDays, interval: config.sync.interval, now: now)

        let iso = ISO8601DateFormatter()
        func cycleJSON(_ c: StateStore.CycleRecord) -> JSONValue {
            ["id": .number(Double(c.id)), "started": .string(iso.string(from: c.started)), "finished": c.finished.map { .string(iso.string(from: $0)) } ?? .null,
             "outcome": .string(Self.word(Self.outcome(c, running: running, isNewest: c.id == cycles.first?.id))),
             "created": .number(Double(c.created)), "updated": .number(Double(c.updated)), "deleted": .number(Double(c.deleted)),
             "mailboxes_failed": .number(Double(c.mailboxesFailed)), "pending": .number(Double(c.pending)), "requests": .number(Double(c.requests)), "message": c.message.json]
        }
        json = [
            "running": running.map { ["pid": .number(Double($0.pid)), "command": .string($0.command)] } ?? .null,
            "cycles": .array(cycles.map(cycleJSON)),
            "last_success": lastSuccess.map(cycleJSON) ?? .null,
            "next_due": nextDue.map { .string(iso.string(from: $0)) } ?? .null,
            "mailboxes": .object(byState.mapValues { .number(Double($0)) }),
            "problems": .object(Dictionary(uniqueKeysWithValues: failing.map { ($0.ownerId, JSONValue.string("\($0.state): \($0.reason!)")) })),
            "failing": .array(failing.sorted { handle($0.ownerId) < handle($1.ownerId) }.map {
                ["id": .string($0.ownerId), "upn": names[$0.ownerId]?.upn.map(JSONValue.string) ?? .null, "state": .string($0.state), "reason": .string($0.reason!)]
            }),
            "pending": .number(Double(pending)),
            "mailboxes_to_list": .number(Double(relist.count)),
            "managed_contacts": .number(Double(managed)),
            "photos": photos.map { ["pending": $0.pending.map { .number(Double($0)) } ?? .null, "every_mailbox": .bool($0.whole),
                                    "cached": .number(Double($0.files)), "cache_bytes": .number(Double($0.bytes))] } ?? .null,
            "lists": .array(lists.map(\.json)),
            "delta_link_age_s": deltaAge.map { .number($0.rounded()) } ?? .null,
            "certificate_days_left": certDays.map { .number(Double($0)) } ?? .null,
            "health": ["code": .number(Double(health.level.rawValue)), "status": .string(health.level.word), "message": .string(health.line)],
        ]

        // Reasons and cycle messages quote Graph's text: every line is made one line without
        // control characters first, then wrapped to the terminal.
        let safe = SafeText.line
        var lines: [String] = []
        lines.append(running.map { $0.isService ? "running: the galsync service (pid \($0.pid))" : "running: \($0.command) (pid \($0.pid))" }
            ?? "not running: no galsync holds the state (start the service with 'systemctl start galsync')")
        func when(_ d: Date) -> String { "\(Self.clock(d)) (\(Ago.text(now.timeIntervalSince(d))) ago)" }
        if let last = cycles.first {
            let took = last.finished.map { ", took \(Ago.text($0.timeIntervalSince(last.started)))" } ?? ""
            let counts = "created \(last.created), updated \(last.updated), deleted \(last.deleted)"
            let head = "last cycle #\(last.id), started \(when(last.started))\(took): "
            switch Self.outcome(last, running: running, isNewest: true) {
            case .ok: lines.append(head + "ok; \(counts)")
            case .partial: lines.append(head + "done with problems; \(counts); \(last.mailboxesFailed) mailbox\(last.mailboxesFailed == 1 ? "" : "es") failed" + (last.pending > 0 ? ", \(last.pending) operations pending" : ""))
            case .running: lines.append("cycle #\(last.id) running since \(when(last.started))")
            case .interrupted(let message): lines.append(head + "interrupted; " + (message.map(safe) ?? counts))
            case .failed(let message): lines.append(head + "FAILED: \(safe(message))")
            case .killed: lines.append(head + "interrupted: the process ended without recording it (killed, or the machine stopped); the next cycle finishes the work")
            }
            if let success = lastSuccess, success.id != last.id {
                lines.append("last successful cycle #\(success.id), \(when(success.finished ?? success.started))")
            } else if lastSuccess == nil {
                lines.append("no cycle has succeeded yet")
            }
        } else {
            lines.append("no cycle has run yet")
        }
        if let nextDue {
            lines.append("next cycle due \(Self.clock(nextDue))" + (nextDue > now ? " (in \(Ago.text(nextDue.timeIntervalSince(now))))" : " (now)") + "; start one now with 'systemctl kill -s USR1 galsync'")
        }
        lines.append("mailboxes: " + byState.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "; \(managed) managed contacts")
        for m in failing.sorted(by: { handle($0.ownerId) < handle($1.ownerId) }) {
            lines.append("  \(safe(handle(m.ownerId))): \(m.state): \(safe(m.reason!))")
        }
        if !skipped.isEmpty {
            lines.append("  skipped (no Exchange Online mailbox): " + skipped.map { handle($0.ownerId) }.sorted().prefix(5).map(safe).joined(separator: ", ")
                + (skipped.count > 5 ? " and \(skipped.count - 5) more" : ""))
        }
        for l in lists {
            lines.append(l.line)
            for f in l.failing { lines.append("  \(safe(handle(f.owner))): \(safe(f.problem))") }
        }
        if let photos {
            let left = photos.pending.map { "\($0) photo writes left by the last cycle (failed, or held back by the valve)" } ?? "no photo pass yet"
            lines.append("photos: \(left)" + (photos.whole || photos.pending == nil ? "" : ", and those of the mailboxes it did not reach")
                + "; cache \(photos.files) photos, \(photos.bytes / 1024) KiB; the home list only")
        }
        if pending > 0 || !relist.isEmpty {
            lines.append("pending: \(pending) operations unconfirmed at the end of the last cycle; \(relist.count) mailboxes to list again")
        }
        lines.append("directory deltaLink: " + (deltaAge.map { "saved \(Ago.text($0)) ago" } ?? "none yet (the next cycle reads every user)"))
        lines.append("certificate: " + (certDays.map(Self.certificateState) ?? "cannot read \(config.tenant.certificate)"))
        lines.append("health: \(health.line)")
        text = lines.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false) }.map { line in
            let safe = SafeText.line(String(line))
            return safe.hasPrefix("      ") ? safe : TextWrap.wrap(safe, width: width, indent: safe.hasPrefix("  ") ? "      " : "    ")
        }.joined(separator: "\n")
    }

    /// Wraps a report's text made with a very large `width` (the status file keeps it so) to
    /// `width`, the same way `init` does: continuation lines indented, failing mailboxes deeper.
    static func wrap(_ text: String, width: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let safe = SafeText.line(String(line))
            return safe.hasPrefix("      ") ? safe : TextWrap.wrap(safe, width: width, indent: safe.hasPrefix("  ") ? "      " : "    ")
        }.joined(separator: "\n")
    }

    static func word(_ o: Outcome) -> String {
        switch o {
        case .ok: "ok"
        case .partial: "partial"
        case .running: "running"
        case .interrupted: "interrupted"
        case .failed: "error"
        case .killed: "killed"
        }
    }

    /// "2026-12-05 10:02 UTC".
    static func clock(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return f.string(from: d)
    }

    /// "expires in N days", or how long ago it expired, with what to do when it is due.
    static func certificateState(_ days: Int) -> String {
        switch days {
        case ..<(-1): "EXPIRED \(-days) days ago: galsync cannot sign in; make a new one with 'galsync cert new' and upload it"
        case -1: "EXPIRED less than 2 days ago: galsync cannot sign in; make a new one with 'galsync cert new' and upload it"
        case 0: "expires today: renew now ('galsync cert new', upload, switch)"
        case 1: "expires tomorrow: renew now ('galsync cert new', upload, switch)"
        case ..<30: "expires in \(days) days: renew soon ('galsync cert new', upload, switch)"
        default: "expires in \(days) days"
        }
    }
}
