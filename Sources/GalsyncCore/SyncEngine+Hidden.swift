import Foundation
import GalsyncPlan
import GalsyncSources
import SyncStore

/// `honor_hidden`: the set of users hidden from the address list, as the round read it or,
/// when Graph refused the query, as the state last recorded it.
extension SyncEngine {
    func hiddenUsers(_ round: DirectoryReader.Round, options: Options, summary: inout CycleSummary) throws -> Set<String> {
        guard config.directory.honorHidden else { return [] }
        if let hidden = round.hidden {
            if !options.planOnly {
                try store.setMeta(StateStore.hiddenUsersKey, hidden.sorted().joined(separator: ","))
                try store.setMeta(StateStore.hiddenProblemKey, nil)
                try store.setMeta(StateStore.hiddenProblemAtKey, nil)
            }
            return hidden
        }
        if let problem = round.hiddenProblem {
            // Said once, when it starts (and again after it was resolved and came back); not
            // asked again until the next full reconcile (`hiddenReadDue`), so a tenant whose
            // Graph refuses the query does not pay a request for it every cycle.
            if try store.meta(StateStore.hiddenProblemKey) != problem { summary.warnings.append(problem) }
            if !options.planOnly {
                try store.setMeta(StateStore.hiddenProblemKey, problem)
                try store.setMeta(StateStore.hiddenProblemAtKey, String(now().timeIntervalSince1970))
            }
        }
        return try store.hiddenUsers()
    }

    /// Whether this cycle reads the hidden users: with `honor_hidden`, unless Graph refused the
    /// query less than `full_reconcile` ago.
    func hiddenReadDue() throws -> Bool {
        guard config.directory.honorHidden else { return false }
        guard try store.meta(StateStore.hiddenProblemKey) != nil,
              let at = try store.meta(StateStore.hiddenProblemAtKey).flatMap(Double.init) else { return true }
        return now().timeIntervalSince1970 - at >= config.sync.fullReconcile
    }
}

extension StateStore {
    static let hiddenUsersKey = "hidden_users"
    static let hiddenProblemKey = "hidden_problem"
    static let hiddenProblemAtKey = "hidden_problem_at"

    /// The users hidden from the address list when they were last read (ids, lowercased).
    func hiddenUsers() throws -> Set<String> {
        Set((try meta(Self.hiddenUsersKey) ?? "").split(separator: ",").map(String.init))
    }
}
