import Foundation

/// `[[list]]`: each list's keys, its own tables (a table it leaves out is the top-level one),
/// and the rules between lists (unique names and folders).
extension ConfigReader {
    static let listKeys = ["name", "folder", "source", "source_mailbox", "source_folder", "directory", "mailboxes", "contact"]
    static let listTables = ["directory", "mailboxes", "contact"]

    mutating func readLists(directory: Configuration.DirectoryScope, mailboxes: Configuration.MailboxTargets,
                            contact: Configuration.ContactSettings) -> [ContactList] {
        guard let value = root["list"] else { return [] }
        guard case .array(let items) = value, items.allSatisfy({ if case .table = $0 { true } else { false } }) else {
            problem("list", "should be [[list]] tables, each with name and folder")
            return []
        }
        var lists: [ContactList] = []
        var names: Set<String> = [], folders: [String: String] = [:]
        for (i, item) in items.enumerated() {
            guard case .table(let table) = item else { continue }
            let label: String
            if case .string(let n)? = table["name"], ContactList.isValidName(n) { label = "list.\(n)" } else { label = "list[\(i + 1)]" }
            for key in table.keys where !Self.listKeys.contains(key) {
                problem("\(label).\(key)", "unknown key\(Self.suggestion(key, Self.listKeys)); galsync refuses to guess what it means")
            }
            // The list's own keys (`list.name` read from `["list": table]`, reported as
            // `list.vendors.name`), and its tables (reported as `list.vendors.directory.where`).
            var sub = ConfigReader(root: ["list": .table(table)])
            var tables = ConfigReader(root: table.filter { Self.listTables.contains($0.key) }, prefix: label + ".")
            let name = sub.string("list.name", required: "a name for the list, [a-z0-9-]+ (e.g. \"vendors\")")
            if let name {
                if !ContactList.isValidName(name) { problem("\(label).name", "'\(name)' is not a list name: use lower-case letters, digits and '-' (at most 64)") }
                else if !names.insert(name).inserted { problem("\(label).name", "'\(name)' names two lists; each list needs its own name") }
            }
            let listFolder = sub.string("list.folder", required: "the folder of each target mailbox this list keeps (\"\" is the Contacts folder itself)", allowEmpty: true)
            if let listFolder {
                if listFolder.count > 255 { problem("\(label).folder", "longer than 255 characters") }
                let key = listFolder.lowercased()
                if let other = folders[key] {
                    problem("\(label).folder", "'\(listFolder)' is also \(other)'s folder; each list needs its own folder (lists never share contacts)")
                } else {
                    folders[key] = "list '\(name ?? "")'"
                }
            }
            var source = ContactList.Source.directory
            switch sub.string("list.source") ?? "directory" {
            case "directory":
                for key in ["source_mailbox", "source_folder"] where table[key] != nil {
                    problem("\(label).\(key)", "only for source = \"mailbox\"; this list's source is the directory")
                }
            case "mailbox":
                let mailbox = sub.string("list.source_mailbox", required: "the mailbox (UPN or object id) whose folder this list copies, e.g. \"contacts@contoso.com\"")
                let sourceFolder = sub.string("list.source_folder", allowEmpty: true) ?? ""
                if table["directory"] != nil { problem("\(label).directory", "a list copied from a mailbox takes no [list.directory]: its sources are that folder's contacts") }
                source = .mailbox(mailbox: mailbox ?? "", folder: sourceFolder)
            case let other:
                problem("\(label).source", "'\(other)' is not a source; use \"directory\" or \"mailbox\"")
            }
            tables.reportUnknownKeys()
            if case .mailbox = source { tables.copyingList = true }
            var list = ContactList(name: name ?? "", folder: listFolder ?? "", source: source,
                                   directory: table["directory"] == nil ? directory : tables.readDirectory(),
                                   mailboxes: table["mailboxes"] == nil ? mailboxes : tables.readMailboxes(),
                                   contact: table["contact"] == nil ? contact : tables.readContact())
            if list.mailboxes.namesNone {
                problem("\(label).mailboxes", "no target mailboxes: give [list.mailboxes] groups, users or all = true, or set them in [mailboxes]")
            }
            if case .mailbox(let m, _) = source, !m.isEmpty, list.mailboxes.users.contains(where: { $0.lowercased() == m.lowercased() }) {
                problem("\(label).mailboxes", "'\(m)' is this list's source: a folder is never copied into its own mailbox; leave it out of users")
            }
            problems += sub.problems.map { .init(key: label + $0.key.dropFirst("list".count), message: $0.message) } + tables.problems
            list.name = name ?? ""
            lists.append(list)
        }
        return lists
    }
}
