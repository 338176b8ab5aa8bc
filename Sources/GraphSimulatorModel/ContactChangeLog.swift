import Foundation

/// `GET /users/{u}/contactFolders/{f}/contacts/delta` (documented) and `/users/{u}/contacts/delta`
/// (the default folder; works in Graph but is not documented): the contacts added, changed or
/// removed in one folder since a state token.
///
/// Every contact write in a mailbox (through Graph, by the owner, or a folder deletion) takes the
/// mailbox's next change number; a contact that leaves a folder (deleted or moved) leaves a
/// tombstone there. A round covers the change numbers in `(from, to]`.
public struct ContactChangeLog: Sendable {
    public var sequence = 0
    /// Raised to expire every contacts delta token of the mailbox.
    public var generation = 1
    /// In change-number order.
    public var tombstones: [ContactTombstone] = []
    public init() {}
}

/// A contact that left `folderId` at change `seq`, having arrived there at change `entered`.
public struct ContactTombstone: Sendable {
    public var id: String
    public var folderId: String
    public var seq: Int
    public var entered: Int
    public init(id: String, folderId: String, seq: Int, entered: Int) {
        self.id = id
        self.folderId = folderId
        self.seq = seq
        self.entered = entered
    }
}
