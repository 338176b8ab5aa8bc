import Foundation
import GalsyncPlan
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
            }
            return hidden
        }
        if let problem = round.hiddenProblem {
            // Said once, when it starts (and again after it was resolved and came back).
            if try store.meta(StateStore.hiddenProblemKey) != problem {
                summary.warnings.append(problem)
                if !options.planOnly { try store.setMeta(StateStore.hiddenProblemKey, problem) }
            }
        }
        return try store.hiddenUsers()
    }
}

extension StateStore {
    static let hiddenUsersKey = "hidden_users"
    static let hiddenProblemKey = "hidden_problem"

    /// The users hidden from the address list when they were last read (ids, lowercased).
    func hiddenUsers() throws -> Set<String> {
        Set((try meta(Self.hiddenUsersKey) ?? "").split(separator: ",").map(String.init))
    }
}
