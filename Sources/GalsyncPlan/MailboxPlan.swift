/// What one mailbox needs so that it holds exactly the desired contacts: a pure diff of desired
/// projections against what galsync knows is there (from the snapshot or a fresh listing).
public struct MailboxPlan: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        case create(ContactProjection)
        // Boxed: two projections inline made every operation 104 bytes, creates and deletes too
        // (a first sync's plan of 100,000 creates held 20 MB while its array grew); updates are few.
        indirect case update(contactId: String, ContactProjection, previous: ContactProjection?)
        case delete(contactId: String, userId: String)
        /// Puts the user's photo (`photos/<sha256>.jpg`) on their contact (`[contact] photos`):
        /// planned after the contacts' own writes, from the state (`StateStore.contactPhotoWork`).
        case photo(contactId: String, userId: String, sha256: String)

        /// `create`, `update`, `delete` or `photo` (the journal's GALSYNC_OP).
        public var name: String {
            switch self {
            case .create: "create"
            case .update: "update"
            case .delete: "delete"
            case .photo: "photo"
            }
        }

        public var userId: String {
            switch self {
            case .create(let p), .update(_, let p, _): p.userId
            case .delete(_, let u), .photo(_, let u, _): u
            }
        }
    }

    /// A contact galsync believes is in the mailbox.
    public struct Actual: Sendable, Equatable {
        public var contactId: String
        public var hash: String
        /// The fields as last written or listed, when known (for minimal PATCH bodies).
        public var projection: ContactProjection?
        public init(contactId: String, hash: String, projection: ContactProjection? = nil) {
            self.contactId = contactId
            self.hash = hash
            self.projection = projection
        }
    }

    public let owner: String
    public let operations: [Operation]
    public let unchanged: Int

    /// Operations decided elsewhere (photos, and the contacts made again without one).
    public init(owner: String, operations: [Operation]) {
        self.owner = owner
        self.operations = operations
        unchanged = 0
    }

    /// `excluding`: a user left out of `desired` (the owner, without `include_self`): cheaper
    /// than a copy of a large dictionary per mailbox.
    public init(owner: String, desired: [String: ContactProjection], actual: [String: Actual], extraContacts: [(contactId: String, userId: String)] = [],
                excluding: String? = nil) {
        self.owner = owner
        var ops: [Operation] = []
        var same = 0
        // Walk unsorted (most users are unchanged) and sort only the operations, by user id,
        // so the plan is deterministic.
        for (userId, want) in desired where userId != excluding {
            if let have = actual[userId] {
                if have.hash == want.hash { same += 1 } else { ops.append(.update(contactId: have.contactId, want, previous: have.projection)) }
            } else {
                ops.append(.create(want))
            }
        }
        for (userId, have) in actual where desired[userId] == nil || userId == excluding {
            ops.append(.delete(contactId: have.contactId, userId: userId))
        }
        ops = Self.sortedByUser(ops)
        // Duplicates found in a listing: the extra copies go.
        for extra in extraContacts { ops.append(.delete(contactId: extra.contactId, userId: extra.userId)) }
        operations = ops
        unchanged = same
    }

    /// The plan of a mailbox known to hold exactly the desired contacts of an earlier cycle,
    /// from the users whose desired contact changed since (`changed`) alone: `actual` needs to
    /// hold only those users, and `holding` is how many contacts the mailbox holds in all.
    /// Gives what the full plan gives under that premise, reading no other user.
    public init(owner: String, desired: [String: ContactProjection], actual: [String: Actual], changed: Set<String>, holding: Int, excluding: String? = nil) {
        self.owner = owner
        var ops: [Operation] = []
        var fromActual = 0
        for userId in changed {
            let want = userId == excluding ? nil : desired[userId]
            switch (want, actual[userId]) {
            case (let want?, let have?):
                if have.hash != want.hash { ops.append(.update(contactId: have.contactId, want, previous: have.projection)); fromActual += 1 }
            case (let want?, nil):
                ops.append(.create(want))
            case (nil, let have?):
                ops.append(.delete(contactId: have.contactId, userId: userId)); fromActual += 1
            case (nil, nil):
                break
            }
        }
        operations = Self.sortedByUser(ops)
        unchanged = holding - fromActual
    }

    /// `ops` in user id order. The ids are read once and the indices sorted: comparing the
    /// operations themselves copied each enum payload twice per comparison (3 % of a first
    /// sync's CPU).
    static func sortedByUser(_ ops: [Operation]) -> [Operation] {
        let keys = ops.map(\.userId)
        return keys.indices.sorted { keys[$0] < keys[$1] }.map { ops[$0] }
    }

    // Counted, not filtered: a filter copied every operation (a first sync of 100,000 users: 5–10 MB).
    public var creates: Int { operations.reduce(0) { if case .create = $1 { $0 + 1 } else { $0 } } }
    public var updates: Int { operations.reduce(0) { if case .update = $1 { $0 + 1 } else { $0 } } }
    public var deletes: Int { operations.reduce(0) { if case .delete = $1 { $0 + 1 } else { $0 } } }
}
