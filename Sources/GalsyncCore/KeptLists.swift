import Foundation
import GalsyncConfig
import SyncStore

/// The lists a cycle (or `purge`, or `status`) deals with, and the state of each.
public enum KeptLists {
    /// The configuration's lists and, when `[[list]]` left the install's earlier folder to none
    /// of them, that earlier implicit list with no targets (its contacts are removed under the
    /// mass-delete guard, or purged, rather than abandoned). `home`: the state at `sync.state`.
    public static func all(_ config: Configuration, home: StateStore) throws -> [ContactList] {
        var lists = config.effectiveLists
        if config.homeList == nil, !(try home.mailboxes().isEmpty) {
            var retired = config.implicitList
            retired.folder = try home.meta("folder") ?? config.sync.folder
            retired.mailboxes = Configuration.MailboxTargets()
            lists.insert(retired, at: 0)
        }
        return lists
    }

    /// Whether `list` keeps its state in the home state (`sync.state`).
    public static func isHome(_ list: ContactList, _ config: Configuration) -> Bool {
        list.name.isEmpty || config.statePath(of: list) == config.sync.state
    }

    /// A named list's own state, when it has one yet (nil: the list never wrote anything).
    public static func state(of list: ContactList, _ config: Configuration, home: StateStore, readOnly: Bool) throws -> StateStore? {
        if isHome(list, config) { return home }
        let path = config.statePath(of: list)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try StateStore(path: path, readOnly: readOnly)
    }

    /// Those of `all` that `name` picks (nil: all of them); an unknown name is a configuration
    /// error naming the lists there are.
    public static func named(_ name: String?, in lists: [ContactList]) throws -> [ContactList] {
        guard let name else { return lists }
        let picked = lists.filter { $0.name == name }
        guard !picked.isEmpty else {
            let names = lists.map(\.name).filter { !$0.isEmpty }
            throw ConfigurationError(file: "--list", problems: [.init(key: "list", message: "no list '\(name)'" + (names.isEmpty ? "; this configuration has no [[list]]" : "; the lists are \(names.joined(separator: ", "))"))])
        }
        return picked
    }
}
