import Foundation
import GalsyncConfig
import GalsyncPlan
import SyncStore

/// The lists a cycle (or `purge`, or `status`) deals with, and the state of each.
public enum KeptLists {
    /// The configuration's lists and, when `[[list]]` left the install's earlier folder to none
    /// of them, that earlier implicit list with no targets (its contacts are removed under the
    /// mass-delete guard, or purged, rather than abandoned). `home`: the state at `sync.state`.
    /// A named list taken out of the configuration (its `lists/<name>.db` still holding
    /// mailboxes) is retired the same way.
    public static func all(_ config: Configuration, home: StateStore) throws -> [ContactList] {
        var retiredLists: [ContactList] = []
        if config.homeList == nil, try holds(home) { retiredLists.append(try retired("", home, config)) }
        let folder = ((config.sync.state as NSString).deletingLastPathComponent as NSString).appendingPathComponent("lists")
        let named = Set(config.lists.map(\.name))
        for file in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() where file.hasSuffix(".db") {
            let name = String(file.dropLast(3))
            guard ContactList.isValidName(name), !named.contains(name) else { continue }
            let store = try StateStore(path: (folder as NSString).appendingPathComponent(file), readOnly: true)
            if try holds(store) { retiredLists.append(try retired(name, store, config)) }
        }
        // Two lists on one folder would undo each other: the retired one deletes what the other adopts.
        for r in retiredLists {
            guard let other = config.lists.first(where: { $0.folder.lowercased() == r.folder.lowercased() }) else { continue }
            throw SyncError.badConfiguration("list '\(other.name)' uses the folder '\(other.folder)', which still holds the contacts of "
                + (r.name.isEmpty ? "galsync's earlier list (before [[list]], in \(config.sync.state))" : "the list '\(r.name)' taken out of the configuration")
                + ": make it a list from the directory on sync.folder (it then keeps that state), or purge them first ('galsync purge --all' with the earlier configuration)")
        }
        return retiredLists.filter { $0.name.isEmpty } + config.effectiveLists + retiredLists.filter { !$0.name.isEmpty }
    }

    /// Whether a list's state still holds mailboxes galsync wrote to (or departed owners' ones).
    static func holds(_ store: StateStore) throws -> Bool {
        let mailboxes = try store.mailboxes(), departed = try store.departedMailboxes()
        return !mailboxes.isEmpty || !departed.isEmpty
    }

    /// A list no longer configured: its folder (as its state recorded it), no targets.
    static func retired(_ name: String, _ store: StateStore, _ config: Configuration) throws -> ContactList {
        var list = config.implicitList
        list.name = name
        list.folder = try store.meta("folder") ?? config.sync.folder
        list.mailboxes = Configuration.MailboxTargets()
        return list
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
