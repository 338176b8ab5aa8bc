import Foundation

/// The lists a configuration keeps, each as a configuration of its own, and where each keeps
/// its state.
extension Configuration {
    /// The one list of a configuration without `[[list]]`: the top-level tables on `sync.folder`.
    /// Its name is "".
    public var implicitList: ContactList {
        ContactList(name: "", folder: sync.folder, directory: directory, mailboxes: mailboxes, contact: contact)
    }

    /// The lists a cycle keeps: `lists`, or the implicit one.
    public var effectiveLists: [ContactList] { lists.isEmpty ? [implicitList] : lists }

    /// The list whose state is `sync.state` itself (with the directory's): the implicit list, or
    /// the directory-sourced `[[list]]` on `sync.folder`, so that an install that adds lists
    /// and keeps its folder keeps its state (no listing, no re-creation). nil when no list is.
    public var homeList: ContactList? {
        lists.isEmpty ? implicitList : lists.first { $0.source == .directory && $0.folder.lowercased() == sync.folder.lowercased() }
    }

    /// Where a list keeps what it wrote into each mailbox: `sync.state` for the home list, else
    /// `lists/<name>.db` beside it.
    public func statePath(of list: ContactList) -> String {
        if list.name == homeList?.name, list.folder == homeList?.folder { return sync.state }
        let folder = (sync.state as NSString).deletingLastPathComponent
        return ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent("lists/\(list.name).db")
    }

    /// This configuration as the one list `list` (its folder and tables at the top, no lists):
    /// what a cycle's engine uses to keep that list.
    public func keeping(_ list: ContactList) -> Configuration {
        var c = self
        c.sync.folder = list.folder
        c.directory = list.directory
        c.mailboxes = list.mailboxes
        c.contact = list.contact
        c.lists = []
        return c
    }
}

extension Configuration {
    /// What the directory read must serve, over every list: mail contacts if a directory list
    /// includes them, hidden users if one honours them, the mailbox types any list excludes.
    public var directoryReading: Configuration {
        guard !lists.isEmpty else { return self }
        var c = self
        let fromDirectory = lists.filter { $0.source == .directory }
        c.directory.includeOrgContacts = fromDirectory.contains { $0.directory.includeOrgContacts }
        c.directory.honorHidden = fromDirectory.contains { $0.directory.honorHidden }
        c.directory.excludeMailboxTypes = Array(Set(lists.flatMap(\.directory.excludeMailboxTypes))).sorted()
        return c
    }
}
