import Foundation
import GalsyncConfig
import GalsyncPlan
import GalsyncSources
import SyncStore

/// What `galsync purge` is about to delete, said before it asks: each mailbox by name with the
/// contacts galsync holds there (from the state), those whose owners left the directory, and
/// a warning for mailboxes the configuration still targets (the next cycle fills them again).
public struct PurgePreview: Sendable {
    public let lines: [String]
    /// Mailboxes still in the configuration's targets, named.
    public let stillTargets: [String]

    /// `directory`: the directory's state when `store` is a named list's (names, the scope).
    public init(config: Configuration, store: StateStore?, directory: StateStore? = nil, mailboxes: [String]?) throws {
        guard let store else {
            lines = ["galsync has no state yet; the purge looks for its contacts in \(mailboxes?.joined(separator: ", ") ?? "no mailbox")"]
            stillTargets = []
            return
        }
        let known = try store.mailboxes()
        let departed = try store.departedMailboxes()
        let dir = directory ?? store
        let users = try dir.directorySnapshot()
        var owners: [String] = []
        var unknown: [String] = []
        if let mailboxes {
            for m in mailboxes {
                let key = m.lowercased()
                if known[key] != nil || departed[key] != nil { owners.append(key) }
                else if let id = try dir.personId(upn: m), known[id] != nil || departed[id] != nil { owners.append(id) }
                else { unknown.append(m) }
            }
        } else {
            owners = Set(known.keys).union(departed.keys).sorted()
        }
        let names = try dir.people(owners)
        let handle = { (id: String) in names[id]?.handle ?? id }
        var out: [String] = []
        var total = 0
        for owner in owners.sorted(by: { handle($0) < handle($1) }) {
            let count = known[owner] != nil ? try store.managedContactCount(owner) : departed[owner]?.contacts ?? 0
            total += count
            out.append("  \(handle(owner)): \(count) contacts" + (known[owner] == nil ? " (the owner left the directory; reached only if restored)" : ""))
        }
        out.insert("galsync's contacts in \(owners.count) mailbox\(owners.count == 1 ? "" : "es"), \(total) in all (as the state knows them; each mailbox is listed to be sure):", at: 0)
        for m in unknown { out.append("  \(m): not in galsync's state; the purge looks for galsync's contacts there anyway") }
        let scope = SyncScope(users: users, groupMembers: try dir.groupMembers(), config: config, hidden: try dir.hiddenUsers(), purposes: try dir.mailboxPurposes().mapValues(\.purpose))
        stillTargets = owners.filter { scope.targets.contains($0) }.map(handle).sorted()
        if !stillTargets.isEmpty {
            out.append("warning: \(stillTargets.count) of these mailboxes are still targets in the configuration ([mailboxes]): the next cycle fills them again; "
                + "take them out of the configuration, or stop the service ('systemctl stop galsync'), first")
        }
        lines = out
    }
}
