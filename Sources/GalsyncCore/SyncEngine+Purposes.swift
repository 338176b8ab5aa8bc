import Foundation
import GalsyncPlan
import GalsyncSources
import SyncStore

/// `exclude_mailbox_types`: each candidate's mailbox type, from the state when it was read
/// since the last full reconcile, else from Graph (new users, users the delta reports, and
/// stale entries). An idle cycle asks nothing.
extension SyncEngine {
    static let purposeRoles: Set<String> = ["MailboxSettings.Read", "MailboxSettings.ReadWrite"]

    func mailboxPurposes(_ round: DirectoryReader.Round, candidates: Set<String>, options: Options, summary: inout CycleSummary) async throws -> [String: String] {
        guard !config.directory.excludeMailboxTypes.isEmpty else { return [:] }
        let cached = try store.mailboxPurposes()
        var purposes = cached.mapValues(\.purpose)
        let roles = Set(try await graph.tokens.token().roles)
        if roles.isDisjoint(with: Self.purposeRoles) {
            try warnOnce("exclude_mailbox_types needs the MailboxSettings.Read application permission, which the token does not carry: shared, room and equipment mailboxes are told apart only by the other rules until it is granted (with admin consent)", options: options, summary: &summary)
            return purposes
        }
        let stale = now().addingTimeInterval(-config.sync.fullReconcile)
        let needed = candidates.filter { id in
            guard round.users[id]?.isOrgContact != true else { return false }  // a mail contact has no mailbox
            guard let known = cached[id] else { return true }
            // A full round reports everyone: only staleness asks again then.
            return (!round.full && round.changed[id] != nil) || known.readAt < stale
        }.sorted()
        guard !needed.isEmpty else {
            try clearWarning(options: options)
            return purposes
        }
        progress.phase("reading the mailbox type of \(needed.count) users")
        let outcomes = try await MailboxPurposeReader(graph: graph, retry: retry).read(needed)
        var read: [String: String] = [:]
        var denied = 0
        // Every answer is kept, refusals and unknowns too (never excluded for them), so that an
        // access policy refusing thousands of mailboxes is asked again at full reconcile, not
        // every cycle.
        for (id, outcome) in outcomes {
            switch outcome {
            case .purpose(let p): read[id] = p
            case .noMailbox: read[id] = "none"
            case .denied: read[id] = "denied"; denied += 1
            case .unknown: read[id] = "unknown"
            }
        }
        purposes.merge(read) { _, new in new }
        if !options.planOnly { try store.setMailboxPurposes(read, at: now(), keeping: Set(round.users.keys)) }
        if denied > 0 {
            try warnOnce("some mailboxes refuse to tell their type (403: an application access policy or Exchange RBAC for Applications keeps them out): they are not excluded by exclude_mailbox_types, and are asked again at full reconcile",
                         options: options, summary: &summary)
        } else {
            try clearWarning(options: options)
        }
        return purposes
    }

    /// A warning said once, when it starts (again after it was resolved and came back).
    func warnOnce(_ text: String, options: Options, summary: inout CycleSummary) throws {
        guard try store.meta("purpose_problem") != text else { return }
        summary.warnings.append(text)
        logger.warning("\(text)")
        if !options.planOnly { try store.setMeta("purpose_problem", text) }
    }

    func clearWarning(options: Options) throws {
        if !options.planOnly, try store.meta("purpose_problem") != nil { try store.setMeta("purpose_problem", nil) }
    }
}
