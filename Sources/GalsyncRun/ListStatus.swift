import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncJSON
import SyncStore

/// A named list's part of `galsync status`: its folder and source, its mailboxes by state, its
/// managed contacts and its failing mailboxes, from its own state file (read-only).
struct ListStatus {
    var list: ContactList
    /// nil: the list has written nothing yet (no state file).
    var mailboxes: [String: Int]?
    var managed = 0
    /// (owner, "state: reason") of its failing mailboxes.
    var failing: [(owner: String, problem: String)] = []
    /// Why its state could not be read, if it could not.
    var problem: String?

    /// Every named list that does not keep its state in `home` (the home list is the report's own).
    static func all(_ config: Configuration, home: StateStore) -> [ListStatus] {
        config.lists.filter { !KeptLists.isHome($0, config) }.map { list in
            var s = ListStatus(list: list)
            let records: [String: StateStore.MailboxRecord]
            do {
                guard let store = try KeptLists.state(of: list, config, home: home, readOnly: true) else { return s }
                records = try store.mailboxes()
                s.managed = try store.managedContactCount()
            } catch {
                s.problem = "cannot read its state \(config.statePath(of: list)): \(error)"
                return s
            }
            s.mailboxes = Dictionary(grouping: records.values, by: \.state).mapValues(\.count)
            s.failing = records.values.filter(\.isFailing).map { ($0.ownerId, "\($0.state): \($0.reason!)") }
                .sorted { $0.owner < $1.owner }
            return s
        }
    }

    var source: String {
        switch list.source {
        case .directory: "the directory"
        case .mailbox(let m, let f): f.isEmpty ? "\(m)'s Contacts" : "\(m)'s folder '\(f)'"
        }
    }

    /// "list vendors (folder 'Vendors', from contacts@contoso.com's folder 'Vendors'): 18 ok; 216 managed contacts".
    var line: String {
        let head = "list \(list.name) (folder '\(list.folder)', from \(source)): "
        if let problem { return head + problem }
        guard let mailboxes else { return head + "nothing written yet" }
        let states = mailboxes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return head + (states.isEmpty ? "no mailboxes" : states) + "; \(managed) managed contacts"
    }

    var json: JSONValue {
        ["name": .string(list.name), "folder": .string(list.folder), "source": .string(source),
         "mailboxes": mailboxes.map { .object($0.mapValues { .number(Double($0)) }) } ?? .null, "managed_contacts": .number(Double(managed)),
         "failing": .array(failing.map { ["id": .string($0.owner), "problem": .string($0.problem)] })]
    }
}
