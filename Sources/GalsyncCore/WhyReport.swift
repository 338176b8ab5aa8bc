import Foundation
import GalsyncConfig
import GalsyncJSON
import GalsyncPlan
import GalsyncSources
import SyncStore

/// What `galsync why` prints: the user, each scope rule and its verdict, and what galsync
/// holds for them (in the mailbox asked about, or how many mailboxes), from the state alone.
public struct WhyReport: Sendable {
    public let text: String
    public let json: JSONValue

    public struct NotFound: Error, CustomStringConvertible {
        public let who: String
        public var description: String {
            "'\(who)' is not in galsync's state (neither in the directory snapshot nor among the people it has written about): check the UPN or object id"
        }
    }

    /// `list`: the `[[list]]` asked about (`why --list`), whose state is `listStore`; `config`
    /// is then that list's (`Configuration.keeping`). A mailbox-sourced list's subject is a
    /// contact of its source folder.
    public init(user: String, mailbox: String?, config: Configuration, store: StateStore, list: ContactList? = nil, listStore: StateStore? = nil) throws {
        let held = listStore ?? store
        var copied: [String: DirectoryUser] = [:]
        if case .mailbox? = list?.source { copied = try held.directorySnapshot() }
        let users = try store.directorySnapshot().merging(config.directory.includeOrgContacts ? store.orgContactSnapshot() : [:]) { user, _ in user }
            .merging(copied) { user, _ in user }
        func resolve(_ who: String) throws -> (id: String, user: DirectoryUser?) {
            if let u = users[who] { return (who, u) }  // an Outlook contact id (a mailbox list's source) is case-sensitive
            let key = who.lowercased()
            if let u = users[key] { return (key, u) }
            if let u = users.values.first(where: { $0.userPrincipalName?.lowercased() == key }) { return (u.id, u) }
            if let id = try store.personId(upn: who) { return (id, nil) }
            if !(try store.people([key]).isEmpty) { return (key, nil) }
            throw NotFound(who: who)
        }
        let (uid, u) = try resolve(user)
        let target = try mailbox.map(resolve)
        let names = try store.people([uid] + (target.map { [$0.id] } ?? []))
        let name = { (id: String, d: DirectoryUser?) in
            d.map { PersonName(id: id, upn: $0.userPrincipalName, displayName: $0.string("displayName")).label } ?? names[id]?.label ?? id
        }
        var explanation = ScopeExplanation(user: u, mailbox: target?.user, groupMembers: try store.groupMembers(), config: config, hidden: try store.hiddenUsers(), purposes: try store.mailboxPurposes().mapValues(\.purpose))
        if case .mailbox(let m, let f)? = list?.source {
            // Every contact of the source folder is one, as it is; nothing else is.
            let inFolder = copied[uid] != nil
            explanation.asContact = [.init(passes: inFolder, text: inFolder ? "in \(m)'s folder '\(f)', which list \(list!.name) copies" : "not in \(m)'s folder '\(f)', which list \(list!.name) copies")]
            explanation.isContact = inFolder
            explanation.belongsInMailbox = inFolder && explanation.isTarget
        }
        var lines = ["\(name(uid, u)), \(copied[uid] == nil ? "object id" : "contact id") \(uid)" + (list.map { " — list \($0.name) (folder '\($0.folder)')" } ?? ""),
                     "as a contact (\(list.map { copied.isEmpty ? "[list.directory] of \($0.name)" : "the source folder of list \($0.name)" } ?? "[directory]")):"]
        lines += explanation.asContact.map { "  \($0.passes ? "✓" : "✗") \($0.text)" }
        let unread = WhereCounts.unread(config, savedSelect: try store.meta("delta_select"))
        if !unread.isEmpty {
            lines.append("  note: the snapshot does not hold \(unread.joined(separator: ", ")) yet (a where rule is newer than the last cycle): the rules read \(unread.count == 1 ? "it" : "them") as absent until the next cycle")
        }
        lines.append("  → " + (explanation.isContact ? "a contact in every target mailbox" : "NOT a contact: " + explanation.asContact.filter { !$0.passes }.map(\.text).joined(separator: "; ")))
        var o: [String: JSONValue] = [
            "user": ["id": .string(uid), "upn": (u?.userPrincipalName ?? names[uid]?.upn).map(JSONValue.string) ?? .null],
            "is_contact": .bool(explanation.isContact),
            "list": list.map { .string($0.name) } ?? .null,
            "rules": .array(explanation.asContact.map { ["passes": .bool($0.passes), "rule": .string($0.text)] }),
        ]
        if let target {
            let owner = target.id
            lines.append("in \(name(owner, target.user))'s mailbox ([mailboxes]):")
            lines += explanation.asTarget.map { "  \($0.passes ? "✓" : "✗") \($0.text)" }
            let record = try held.mailboxes()[owner]
            let contact = try held.managedContacts(owner, userIds: [uid])[uid]
            let holds: String
            if let contact {
                let shown = try held.projection(contact.hash).flatMap { JSONValue.parse(Data($0.utf8))?["displayName"]?.stringValue }
                holds = "galsync holds contact \(contact.contactId)" + (shown.map { " (\"\($0)\")" } ?? "") + " in this mailbox"
                    + (explanation.belongsInMailbox ? "" : "; the next cycle deletes it")
            } else {
                holds = "galsync holds no contact for them here" + (explanation.belongsInMailbox ? "; the next cycle creates it" : "")
            }
            lines.append("  → " + (explanation.belongsInMailbox ? "belongs in this mailbox" : explanation.isTarget ? "does not belong here (see above)" : "this mailbox is not a target"))
            lines.append("  \(holds)" + (record.map { "; the mailbox is \($0.state)" + ($0.reason.map { ": \($0)" } ?? "") } ?? "; galsync has not written to this mailbox"))
            var photo: String?
            if (list ?? config.homeList)?.contact.photos ?? config.contact.photos, contact != nil {
                let theirs = try store.userPhotos()[uid]
                let carried = try held.contactPhoto(owner: owner, userId: uid)
                photo = switch (theirs, carried) {
                case (_, "owner"?): "the owner put their own photo on this contact: galsync leaves it (photo policy keep_edits)"
                case (_, "refused"?): "Exchange refused their photo for this contact (see the journal); it is sent again when the photo changes"
                case (nil, _): "galsync has not checked their photo yet (the next cycle does)"
                case (let t?, let c) where !t.hasPhoto: c == nil ? "they have no photo, and the contact carries none of galsync's"
                    : "they removed their photo: the next cycle makes the contact again without it"
                case (let t?, let c) where c == t.sha256: "the contact carries their current photo"
                case (_, nil): "the contact does not carry their photo yet: the next cycle puts it there"
                default: "the contact carries an older photo of theirs: the next cycle puts the current one there"
                }
                lines.append("  photo: \(photo!)")
            }
            o["mailbox"] = ["id": .string(owner), "upn": (target.user?.userPrincipalName ?? names[owner]?.upn).map(JSONValue.string) ?? .null,
                            "is_target": .bool(explanation.isTarget), "belongs": .bool(explanation.belongsInMailbox),
                            "rules": .array(explanation.asTarget.map { ["passes": .bool($0.passes), "rule": .string($0.text)] }),
                            "contact_id": contact.map { .string($0.contactId) } ?? .null, "state": record.map { .string($0.state) } ?? .null,
                            "photo": photo.map(JSONValue.string) ?? .null]
        } else {
            let holding = try held.mailboxesHolding(uid)
            lines.append("galsync holds their contact in \(holding.count) mailbox\(holding.count == 1 ? "" : "es"); add --mailbox UPN to look at one")
            o["mailboxes_holding"] = .number(Double(holding.count))
        }
        text = lines.joined(separator: "\n")
        json = .object(o)
    }
}
