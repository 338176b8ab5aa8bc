import Foundation
import GalsyncPlan
import GalsyncSources
import SyncStore

/// Step 2 of a cycle: the desired contacts, compared with the set the state records (so that a
/// new process plans from the changes as a running service does), and recorded as the new set.
extension SyncEngine {
    /// What shapes a mailbox's contents besides who is in scope and their projections (the
    /// excluded fields are added by the cache): another value means no mailbox is known to hold
    /// the recorded set, and every mailbox is planned in full.
    var desiredSettings: String { "include_self=\(config.mailboxes.includeSelf)" }

    /// The projections of `sources` and how they differ from the recorded set. The recorded
    /// hashes are read only when the cache does not hold that set itself (a new process, after
    /// a `plan`). Except in `plan`, the new set is recorded right away (only the users whose
    /// hash changed, came or went), before any mailbox is written for it.
    func desiredContacts(_ sources: [String: DirectoryUser], round: DirectoryReader.Round, options: Options) async throws -> ProjectionCache.Desired {
        let basis = ProjectionCache.Basis(from: round.from, to: round.deltaLink, changed: Set(round.changed.keys).union(round.removed))
        let recorded = try store.desiredBasis()
        let hashes = projections.holds(recorded) ? nil : try store.desiredHashes()
        let desired = await projections.projections(of: sources, basis: basis, fields: fieldTable, settings: desiredSettings,
                                                    recorded: .init(basis: recorded, hashes: hashes))
        if !options.planOnly {
            try store.recordDesired(desired.record, upserts: desired.upserts, removals: desired.removals, continues: desired.changes != nil)
        }
        return desired
    }
}
