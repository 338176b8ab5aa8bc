import GalsyncConfig

/// `galsync why`: each rule of the scope with its verdict for one user, as a contact (the
/// `[directory]` rules) and, for one mailbox, as a target (the `[mailboxes]` rules). Pure: the
/// same rules as `SyncScope`, written out one by one for the help desk's "why doesn't Alice
/// see Bob?".
public struct ScopeExplanation: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var passes: Bool
        public var text: String
        package init(passes: Bool, text: String) {
            self.passes = passes
            self.text = text
        }
    }

    public var asContact: [Rule]
    public var isContact: Bool
    /// For the mailbox asked about: whether it is a target, and whether this user's contact belongs there.
    public var asTarget: [Rule]
    public var isTarget: Bool
    public var belongsInMailbox: Bool

    public init(user: DirectoryUser?, mailbox: DirectoryUser?, groupMembers: [String: Set<String>], config: Configuration, hidden: Set<String> = [],
                purposes: [String: String] = [:]) {
        func typeRule(_ id: String) -> Rule? {
            guard !config.directory.excludeMailboxTypes.isEmpty else { return nil }
            guard let purpose = purposes[id] else { return Rule(passes: true, text: "mailbox type not known yet (not excluded for it)") }
            let excluded = config.directory.excludeMailboxTypes.contains(purpose)
            let what = purpose == "none" ? "no Exchange Online mailbox" : "a \(purpose) mailbox"
            return Rule(passes: !excluded, text: excluded ? "\(what) (exclude_mailbox_types = \(config.directory.excludeMailboxTypes))" : what)
        }
        let d = config.directory
        var rules: [Rule] = []
        if let u = user {
            rules.append(.init(passes: true, text: u.isOrgContact ? "a mail contact of the tenant (orgContact; include_org_contacts = \(d.includeOrgContacts))" : "in the directory snapshot"))
            rules.append(.init(passes: d.includeGuests || !u.isGuest,
                               text: u.isGuest ? "a guest (include_guests = \(d.includeGuests))" : "not a guest"))
            rules.append(.init(passes: d.includeDisabled || u.isEnabled,
                               text: u.isEnabled ? "account enabled" : "account disabled (include_disabled = \(d.includeDisabled))"))
            for attribute in d.require {
                rules.append(.init(passes: u.has(attribute), text: u.has(attribute) ? "has \(attribute) (require)" : "\(attribute) is empty (require = \(d.require))"))
            }
            if !d.includeGroups.isEmpty {
                let inGroups = d.includeGroups.filter { groupMembers[$0]?.contains(u.id) == true }
                rules.append(.init(passes: !inGroups.isEmpty, text: inGroups.isEmpty
                    ? "not a member of any include_groups (\(d.includeGroups.joined(separator: ", ")))"
                    : "a member of include_groups \(inGroups.joined(separator: ", "))"))
            }
            let excludedBy = d.excludeGroups.filter { groupMembers[$0]?.contains(u.id) == true }
            if !d.excludeGroups.isEmpty {
                rules.append(.init(passes: excludedBy.isEmpty, text: excludedBy.isEmpty
                    ? "not in exclude_groups" : "a member of exclude_groups \(excludedBy.joined(separator: ", "))"))
            }
            if let rule = typeRule(u.id) { rules.append(rule) }
            if d.honorHidden, hidden.contains(u.id) {
                rules.append(.init(passes: false, text: "hidden from the address list (showInAddressList = false in Entra; honor_hidden = true)"))
            }
            if let rule = d.where {
                let kept = rule.keeps(u.value)
                rules.append(.init(passes: kept, text: "\(kept ? "kept" : "left out") by directory.where: \(rule.text)\(Self.values(rule, u))"))
            }
        } else {
            rules.append(.init(passes: false, text: "not in the directory snapshot (deleted, never read, or a mistyped name)"))
        }
        asContact = rules
        isContact = rules.allSatisfy(\.passes)

        var target: [Rule] = []
        if let m = mailbox {
            let scope = SyncScope(users: [m.id: m], groupMembers: groupMembers, config: config, purposes: purposes)
            let c = config.mailboxes
            if c.all {
                let ok = !m.isGuest && m.isEnabled && m.has("mail")
                target.append(.init(passes: ok, text: ok ? "mailboxes.all = true: an enabled member with mail"
                    : "mailboxes.all = true, but \(m.isGuest ? "a guest" : !m.isEnabled ? "a disabled account" : "no mail") (not a target that way)"))
            }
            for g in c.groups {
                let member = groupMembers[g]?.contains(m.id) == true
                target.append(.init(passes: member, text: member ? "a member of mailboxes.groups \(g)" : "not a member of mailboxes.groups \(g)"))
            }
            if !c.users.isEmpty {
                let named = c.users.contains { $0.lowercased() == m.id || $0.lowercased() == m.userPrincipalName?.lowercased() }
                target.append(.init(passes: named, text: named ? "named in mailboxes.users" : "not named in mailboxes.users"))
            }
            isTarget = scope.targets.contains(m.id)
            if let rule = typeRule(m.id), !rule.passes { target.append(rule) }
            if let rule = c.where {
                let kept = rule.keeps(m.value)
                target.append(.init(passes: kept, text: "\(kept ? "kept" : "left out") by mailboxes.where: \(rule.text)\(Self.values(rule, m))"))
            }
            if let u = user, u.id == m.id {
                target.append(.init(passes: c.includeSelf, text: "the mailbox's own owner (include_self = \(c.includeSelf))"))
            }
            belongsInMailbox = isContact && isTarget && (user?.id != m.id || c.includeSelf)
        } else {
            isTarget = false
            belongsInMailbox = false
        }
        asTarget = target
    }

    /// What the rule saw, path by path: ` (employeeType = "Service", onPremisesExtensionAttributes/extensionAttribute1 = "TEST")`.
    static func values(_ rule: WhereRule, _ user: DirectoryUser) -> String {
        var seen: Set<[String]> = [], shown: [String] = []
        for path in rule.filter.paths where seen.insert(path).inserted {
            var value = user.value(path[0])
            for key in path.dropFirst() { value = value?.objectValue.flatMap { o in o[key] ?? o.first { $0.key.lowercased() == key.lowercased() }?.value } }
            let name = path.joined(separator: "/")
            shown.append(value.map { "\(name) = \(String(decoding: $0.encoded(), as: UTF8.self))" } ?? "\(name) absent")
        }
        return " (" + shown.sorted().joined(separator: ", ") + ")"
    }
}
