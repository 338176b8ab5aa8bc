import GalsyncConfig

/// Who becomes a contact and which mailboxes receive them, from the snapshot and the group
/// memberships: a pure function, so `plan` and `sync` agree and tests need no network.
public struct SyncScope: Sendable {
    /// In-scope users by id.
    public let sources: [String: DirectoryUser]
    /// Target mailbox owner ids.
    public let targets: Set<String>
    /// Configured target users that are not in the directory (typo, deleted), for `status`.
    public let unresolvedTargets: [String]

    /// `hidden`: the users hidden from the address list (ids, lowercased), left out of the
    /// sources when `honor_hidden` is on; they stay targets. `purposes`: user id → mailbox
    /// type; a type in `exclude_mailbox_types` is neither source nor target (unknown: kept).
    public init(users: [String: DirectoryUser], groupMembers: [String: Set<String>], config: Configuration, hidden: Set<String> = [],
                purposes: [String: String] = [:]) {
        let excludedTypes = Set(config.directory.excludeMailboxTypes)
        func excludedType(_ id: String) -> Bool { purposes[id].map(excludedTypes.contains) ?? false }
        let d = config.directory
        let include = d.includeGroups.isEmpty ? nil : d.includeGroups.reduce(into: Set<String>()) { $0.formUnion(groupMembers[$1] ?? []) }
        let exclude = d.excludeGroups.reduce(into: Set<String>()) { $0.formUnion(groupMembers[$1] ?? []) }
        let m = config.mailboxes
        var sources: [String: DirectoryUser] = [:]
        sources.reserveCapacity(users.count)
        var targets = Set<String>()
        // One scan of each user's entries answers every fixed rule (`scopeFacts`).
        for (id, u) in users {
            let f = u.scopeFacts(require: d.require)
            // mailboxes.all: every enabled member with mail; guests have no mailbox here, disabled accounts are rooms and shared mailboxes.
            if m.all, !f.isGuest, !f.isOrgContact, f.isEnabled, f.hasMail { targets.insert(id) }
            guard (d.includeGuests || !f.isGuest) && (d.includeDisabled || f.isEnabled) && f.hasRequired,
                  (include?.contains(id) ?? true) || f.isOrgContact, !exclude.contains(id),
                  // Read when any list wants them; a source only of those that do.
                  d.includeOrgContacts || !f.isOrgContact,
                  !(d.honorHidden && hidden.contains(id)), !excludedType(id), d.where?.keeps(u.value) ?? true else { continue }
            sources[id] = u
        }
        self.sources = sources
        for g in m.groups { targets.formUnion((groupMembers[g] ?? []).filter { users[$0].map { !$0.isOrgContact } ?? false }) }
        var unresolved: [String] = []
        let byUPN = Self.ids(ofPrincipalNames: m.users.filter { users[$0.lowercased()] == nil }, in: users)
        for u in m.users {
            if users[u.lowercased()] != nil { targets.insert(u.lowercased()) }
            else if let id = byUPN[u.lowercased()] { targets.insert(id) }
            else { unresolved.append(u) }
        }
        if let rule = m.where { targets = targets.filter { users[$0].map { rule.keeps($0.value) } ?? false } }
        // A mailbox named in mailboxes.users is a target whatever its type: the operator chose it.
        if !purposes.isEmpty {
            let named = Set(m.users.map { $0.lowercased() }).union(byUPN.values)
            targets = targets.filter { named.contains($0) || !excludedType($0) }
        }
        self.targets = targets
        unresolvedTargets = unresolved
    }

    /// Lowercased UPN → user id for the configured `names` that are not ids, found in one pass
    /// (no index of every user's UPN: that was a whole-directory copy); the first user wins.
    package static func ids(ofPrincipalNames names: [String], in users: [String: DirectoryUser]) -> [String: String] {
        guard !names.isEmpty else { return [:] }
        let wanted = Set(names.map { $0.lowercased() })
        var out: [String: String] = [:]
        for u in users.values {
            if let upn = u.userPrincipalName?.lowercased(), wanted.contains(upn), out[upn] == nil { out[upn] = u.id }
        }
        return out
    }

    /// The user properties the `where` rules and `[contact.fields]` read beyond
    /// `DirectoryUser.selectedProperties`: the delta `$select` carries them too (a new one starts
    /// a fresh enumeration). Every list's rules count (a mailbox-sourced list's `[list.mailboxes]`
    /// too); only directory lists' fields do.
    public static func extraProperties(_ config: Configuration) -> Set<String> {
        let read = config.effectiveLists.reduce(into: Set<String>()) { all, list in
            all.formUnion(list.directory.where?.properties ?? [])
            all.formUnion(list.mailboxes.where?.properties ?? [])
            if case .directory = list.source { all.formUnion(ContactFieldTable.of(list).userProperties) }
        }
        return read.subtracting(DirectoryUser.selectedProperties)
    }

    /// The groups whose members the scope needs, over every list.
    public static func groups(_ config: Configuration) -> [String] {
        Array(Set(config.effectiveLists.flatMap { $0.directory.includeGroups + $0.directory.excludeGroups + $0.mailboxes.groups })).sorted()
    }
}
