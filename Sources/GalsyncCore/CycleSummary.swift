import Foundation
import GalsyncJSON
import GalsyncText
import SyncStore

/// What one cycle did (or, for `plan`, would do), in the contract's `--json` shape.
public struct CycleSummary: Sendable {
    public var created = 0, updated = 0, deleted = 0, unchanged = 0
    public var mailboxesOK = 0, mailboxesFailed = 0, mailboxesSkipped = 0
    public var requests = 0, throttled = 0
    /// Operations whose outcome is still unconfirmed when the cycle ends (after its listings):
    /// the cycle is not exact, and exits 1.
    public var pending = 0
    public var duration: TimeInterval = 0
    /// Mailboxes planned from the changed users alone (not in the `--json` shape; for tests
    /// and the debug log).
    public var plannedFromChanges = 0
    /// A `plan`: its counts are what a cycle would do, and its text says so.
    public var isPlan = false
    /// What this cycle's drift check found, when one ran (`sync.drift_check`).
    public var drift: DriftSummary?
    /// Photos (`[contact] photos`): nil when off.
    public var photos: PhotoSummary?
    /// Per mailbox: owner → (what, why) for failed and skipped ones.
    public var problems: [String: String] = [:]
    /// Cycle-wide remarks (for `plan`: that `sync` would refuse the cycle, and why).
    public var warnings: [String] = []
    /// For `plan`: per mailbox counts and a few sample operations.
    public var plans: [MailboxPlanSummary] = []
    /// Names of the mailboxes in `problems` and `plans` (from the state, no Graph request):
    /// the text says `alice@contoso.com`, the JSON carries both id and UPN.
    public var names: [String: PersonName] = [:]
    /// The mailboxes behind the counts, so that a cycle of several lists counts each mailbox
    /// once (`countingMailboxesOnce`).
    package var outcomes = MailboxOutcomes()
    /// Mailboxes listed again after the first write round (late creates adopted from a listing).
    package var listedAgain = 0

    package struct MailboxOutcomes: Sendable {
        var ok: Set<String> = [], failed: Set<String> = [], skipped: Set<String> = [], pending: Set<String> = []
    }

    /// A mailbox as people know it: its owner's UPN, else the id.
    public func handle(_ owner: String) -> String { names[owner]?.handle ?? owner }

    package init() {}

    public struct MailboxPlanSummary: Sendable {
        public var owner: String
        /// The list the plan is for ("" for the implicit list).
        public var list = ""
        public var creates: Int, updates: Int, deletes: Int, unchanged: Int
        public var samples: [String]
    }

    /// A drift check's counts: folders asked, managed contacts their owners changed or removed
    /// (each written again this cycle), and mailboxes listed because of what the check saw.
    public struct DriftSummary: Sendable, Equatable {
        public var checked = 0, edited = 0, gone = 0, listed = 0
        package init() {}
    }

    /// A cycle's photo work: users' photos checked and downloaded, photos put on contacts,
    /// contacts made again without one (their user removed theirs), and writes that failed
    /// (retried next cycle). In `plan`, what the state says is still to do.
    public struct PhotoSummary: Sendable {
        public var checked = 0, downloaded = 0, bytes = 0, written = 0, recreated = 0, failed = 0
        /// At a full reconcile: photos on contacts checked, put back, and left to their owners.
        public var checkedOnContacts = 0, putBack = 0, leftToOwners = 0
        /// Users whose photo is new, changed or removed (plan: to be checked next `sync`).
        public var toCheck = 0
        /// Users whose photo could not be checked this cycle (throttled throughout, denied, a fault).
        public var unchecked = 0
        package init() {}
        mutating func add(_ p: PhotoSummary) {
            checked += p.checked; downloaded += p.downloaded; bytes += p.bytes; written += p.written
            recreated += p.recreated; failed += p.failed; toCheck += p.toCheck; unchecked += p.unchecked
            checkedOnContacts += p.checkedOnContacts; putBack += p.putBack; leftToOwners += p.leftToOwners
        }
        var json: JSONValue {
            ["checked": .number(Double(checked)), "downloaded": .number(Double(downloaded)), "bytes": .number(Double(bytes)),
             "written": .number(Double(written)), "recreated": .number(Double(recreated)), "failed": .number(Double(failed)),
             "unchecked": .number(Double(unchecked)),
             "checked_on_contacts": .number(Double(checkedOnContacts)), "put_back": .number(Double(putBack)), "left_to_owners": .number(Double(leftToOwners))]
        }
    }

    public var exitStatus: ExitStatus { mailboxesFailed > 0 || pending > 0 ? .partial : .ok }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "created": .number(Double(created)), "updated": .number(Double(updated)), "deleted": .number(Double(deleted)),
            "unchanged": .number(Double(unchanged)),
            "mailboxes": ["ok": .number(Double(mailboxesOK)), "failed": .number(Double(mailboxesFailed)), "skipped": .number(Double(mailboxesSkipped))],
            "requests": .number(Double(requests)), "throttled": .number(Double(throttled)), "pending": .number(Double(pending)),
            "duration_s": .number((duration * 1000).rounded() / 1000),
        ]
        if let drift {
            o["drift"] = ["checked": .number(Double(drift.checked)), "edited": .number(Double(drift.edited)),
                          "gone": .number(Double(drift.gone)), "listed": .number(Double(drift.listed))]
        }
        if let photos { o["photos"] = photos.json }
        if !problems.isEmpty {
            o["problems"] = .object(problems.mapValues(JSONValue.string))
            o["mailbox_problems"] = .array(problems.sorted { $0.key < $1.key }.map { owner, problem in
                ["id": .string(owner), "upn": names[owner]?.upn.map(JSONValue.string) ?? .null, "problem": .string(problem)]
            })
        }
        if !warnings.isEmpty { o["warnings"] = .array(warnings.map(JSONValue.string)) }
        if !plans.isEmpty {
            o["plan"] = .array(plans.map { p in
                var entry: [String: JSONValue] = [
                    "mailbox": .string(p.owner), "upn": names[p.owner]?.upn.map(JSONValue.string) ?? .null, "create": .number(Double(p.creates)),
                    "update": .number(Double(p.updates)), "delete": .number(Double(p.deletes)), "unchanged": .number(Double(p.unchanged)),
                    "samples": .array(p.samples.map(JSONValue.string)),
                ]
                if !p.list.isEmpty { entry["list"] = .string(p.list) }  // only with [[list]]: the shape stays as before without
                return .object(entry)
            })
        }
        return .object(o)
    }

    public var text: String {
        let counts = isPlan
            ? "would create \(created.formatted()), update \(updated.formatted()), delete \(deleted.formatted()); \(unchanged.formatted()) unchanged"
            : "created \(created), updated \(updated), deleted \(deleted), unchanged \(unchanged)"
        var lines = ["\(counts); mailboxes ok \(mailboxesOK), failed \(mailboxesFailed), skipped \(mailboxesSkipped)\(pending > 0 ? "; \(pending) pending" : ""); \(requests) requests, \(throttled) throttled, \(String(format: "%.1f", duration)) s"]
        // Owners, samples (display names) and problems (Graph's messages) come from the
        // network: each is one line without control characters before it reaches a terminal.
        let safe = SafeText.line
        if let d = drift, d.edited + d.gone + d.listed > 0 {
            lines.append("  drift check of \(d.checked) mailboxes: \(d.edited) contacts edited and \(d.gone) removed by their owners, written again; \(d.listed) mailboxes listed")
        }
        if let p = photos {
            lines.append(isPlan
                ? "  photos: would put \(p.written) on contacts and make \(p.recreated) contacts again without one (their user removed it); \(p.toCheck) users' photos to check"
                : "  photos: \(p.checked) checked\(p.unchecked > 0 ? " (\(p.unchecked) could not be)" : ""), \(p.downloaded) downloaded (\(p.bytes / 1024) KiB), \(p.written) put on contacts, \(p.recreated) contacts made again without one, \(p.failed) failed (tried again next cycle)"
                    + (p.checkedOnContacts > 0 ? "; \(p.checkedOnContacts) photos on contacts checked, \(p.putBack) put back, \(p.leftToOwners) left to their owners" : ""))
        }
        for p in plans where p.creates + p.updates + p.deletes > 0 {
            lines.append("  \(safe(handle(p.owner)))\(p.list.isEmpty ? "" : " [\(p.list)]"): +\(p.creates) ~\(p.updates) -\(p.deletes) (=\(p.unchanged))" + (p.samples.isEmpty ? "" : ": " + p.samples.map(safe).joined(separator: "; ")))
        }
        for (owner, why) in problems.sorted(by: { handle($0.key) < handle($1.key) }) { lines.append("  \(safe(handle(owner))): \(safe(why))") }
        for w in warnings { lines.append("warning: \(safe(w))") }
        return lines.joined(separator: "\n")
    }
}

extension CycleSummary {
    /// Adds one list's part of a cycle: counts summed, plans named with the list, problems
    /// and warnings said with its name (a mailbox in two lists has one line with both).
    package mutating func absorb(_ part: CycleSummary, list: String) {
        created += part.created; updated += part.updated; deleted += part.deleted; unchanged += part.unchanged
        mailboxesOK += part.mailboxesOK; mailboxesFailed += part.mailboxesFailed; mailboxesSkipped += part.mailboxesSkipped
        pending += part.pending; plannedFromChanges += part.plannedFromChanges
        isPlan = isPlan || part.isPlan
        if let p = part.photos {
            var sum = photos ?? PhotoSummary()
            sum.add(p)
            photos = sum
        }
        if let d = part.drift {
            var sum = drift ?? DriftSummary()
            sum.checked += d.checked; sum.edited += d.edited; sum.gone += d.gone; sum.listed += d.listed
            drift = sum
        }
        for (owner, problem) in part.problems {
            // A mailbox-wide fact (no Exchange Online mailbox) is said once, without a list.
            let text = list.isEmpty || problem.hasPrefix("skipped") ? problem : "list \(list): \(problem)"
            guard let known = problems[owner] else { problems[owner] = text; continue }
            if !known.contains(text) { problems[owner] = "\(known); \(text)" }
        }
        warnings += part.warnings.map { list.isEmpty ? $0 : "list \(list): \($0)" }.filter { !warnings.contains($0) }
        plans += part.plans.map { var p = $0; p.list = list; return p }
        outcomes.ok.formUnion(part.outcomes.ok); outcomes.failed.formUnion(part.outcomes.failed)
        outcomes.skipped.formUnion(part.outcomes.skipped); outcomes.pending.formUnion(part.outcomes.pending)
    }

    /// The mailbox counts of several lists' parts, each mailbox once: failed if any list
    /// failed in it, skipped if skipped, ok only if every list that wrote to it is.
    package mutating func countingMailboxesOnce() {
        let failed = outcomes.failed, skipped = outcomes.skipped.subtracting(failed)
        mailboxesFailed = failed.count
        mailboxesSkipped = skipped.count
        mailboxesOK = outcomes.ok.subtracting(failed).subtracting(skipped).subtracting(outcomes.pending).count
    }
}
