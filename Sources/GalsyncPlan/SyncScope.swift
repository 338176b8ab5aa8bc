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

    public init(users: [String: DirectoryUser], groupMembers: [String: Set<String>], config: Configuration) {
        let d = config.directory
        let include = d.includeGroups.isEmpty ? nil : d.includeGroups.reduce(into: Set<String>()) { $0.formUnion(groupMembers[$1] ?? []) }
        let exclude = d.excludeGroups.reduce(into: Set<String>()) { $0.formUnion(groupMembers[$1] ?? []) }
        sources = users.filter { id, u in
            (d.includeGuests || !u.isGuest) && (d.includeDisabled || u.isEnabled)
                && d.require.allSatisfy(u.has) && (include?.contains(id) ?? true) && !exclude.contains(id)
        }
        let m = config.mailboxes
        var targets = Set<String>()
        if m.all {
            // Every enabled member with mail: guests have no mailbox here, disabled accounts are rooms and shared mailboxes.
            targets = Set(users.values.filter { !$0.isGuest && $0.isEnabled && $0.has("mail") }.map(\.id))
        }
        for g in m.groups { targets.formUnion((groupMembers[g] ?? []).filter { users[$0] != nil }) }
        var unresolved: [String] = []
        let byUPN = Dictionary(users.values.compactMap { u in u.userPrincipalName.map { ($0.lowercased(), u.id) } }, uniquingKeysWith: { a, _ in a })
        for u in m.users {
            if users[u.lowercased()] != nil { targets.insert(u.lowercased()) }
            else if let id = byUPN[u.lowercased()] { targets.insert(id) }
            else { unresolved.append(u) }
        }
        self.targets = targets
        unresolvedTargets = unresolved
    }

    /// The groups whose members the scope needs.
    public static func groups(_ config: Configuration) -> [String] {
        Array(Set(config.directory.includeGroups + config.directory.excludeGroups + config.mailboxes.groups)).sorted()
    }
}
