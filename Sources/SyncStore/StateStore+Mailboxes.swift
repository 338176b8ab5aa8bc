import Foundation
import GRDB

/// What galsync wrote into each mailbox, with the intents that make crashes recoverable.
extension StateStore {
    public struct MailboxRecord: Sendable, Equatable {
        public var ownerId: String
        public var folderId: String?
        /// `new`, `ok`, `failed`, `skipped` (no mailbox), `removed`.
        public var state: String
        public var reason: String?
        public var reconciled: Date?
        /// The generation of the desired set (`DesiredBasis`) the mailbox held in full when its
        /// last write ended; nil when not known (a failure, pending operations, a listing due).
        public var applied: Int?
        /// Not ok for a reason worth saying (`status`'s failing mailboxes; skipped ones are listed apart).
        public var isFailing: Bool { state != "ok" && state != "skipped" && reason != nil }
    }

    public struct ManagedContact: Sendable, Equatable {
        public var userId: String
        public var contactId: String
        public var hash: String
        public init(userId: String, contactId: String, hash: String) {
            self.userId = userId
            self.contactId = contactId
            self.hash = hash
        }
    }

    public func mailboxes() throws -> [String: MailboxRecord] {
        try db.read { db in
            var out: [String: MailboxRecord] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM mailbox") {
                let owner: String = row["owner_id"]
                out[owner] = MailboxRecord(ownerId: owner, folderId: row["folder_id"], state: row["state"], reason: row["reason"],
                                           reconciled: (row["reconciled"] as Double?).map { Date(timeIntervalSince1970: $0) }, applied: row["applied"])
            }
            return out
        }
    }

    /// Sets a mailbox's state (and, when given, its folder and reconcile time). `applied`: the
    /// desired set it now holds in full, given only once every one of its operations was
    /// confirmed; any other call forgets it, in the same statement, so a mailbox that failed,
    /// has pending operations or must be listed is never planned from the changes.
    public func setMailbox(_ owner: String, folderId: String?? = nil, state: String, reason: String? = nil, reconciled: Date? = nil,
                           applied: Int? = nil) throws {
        try db.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO mailbox (owner_id) VALUES (?)", arguments: [owner])
            // Back among the mailboxes galsync writes to: no longer a departed one.
            try db.execute(sql: "DELETE FROM departed_mailbox WHERE owner_id = ?", arguments: [owner])
            try db.execute(sql: "UPDATE mailbox SET state = ?, reason = ?, checked = ?, applied = ? WHERE owner_id = ?",
                           arguments: [state, reason, Date().timeIntervalSince1970, applied, owner])
            if let folderId {
                // Another folder (or none): the old one's contacts delta says nothing about it.
                let old = try String?.fetchOne(db, sql: "SELECT folder_id FROM mailbox WHERE owner_id = ?", arguments: [owner]) ?? nil
                if old != folderId { try db.execute(sql: "DELETE FROM contact_delta WHERE owner_id = ?", arguments: [owner]) }
                try db.execute(sql: "UPDATE mailbox SET folder_id = ? WHERE owner_id = ?", arguments: [folderId, owner])
            }
            if let reconciled { try db.execute(sql: "UPDATE mailbox SET reconciled = ? WHERE owner_id = ?", arguments: [reconciled.timeIntervalSince1970, owner]) }
        }
    }

    /// Forgets a mailbox and what galsync wrote there. `departed`: its owner left the
    /// directory, with galsync's contacts still in it; it is remembered (folder and count) in
    /// case the owner is restored, so that `purge --all` still finds those contacts.
    public func forgetMailbox(_ owner: String, departed: Bool = false) throws {
        try db.write { db in
            if departed {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO departed_mailbox (owner_id, folder_id, contacts, departed)
                    SELECT owner_id, folder_id, (SELECT COUNT(*) FROM managed_contact WHERE owner_id = ?1), ?2 FROM mailbox
                    WHERE owner_id = ?1 AND (SELECT COUNT(*) FROM managed_contact WHERE owner_id = ?1) > 0
                    """, arguments: [owner, Date().timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM departed_mailbox WHERE owner_id = ?", arguments: [owner])
            }
            for table in ["mailbox", "managed_contact", "intent", "contact_delta"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE owner_id = ?", arguments: [owner])
            }
        }
    }

    public func managedContacts(_ owner: String) throws -> [String: ManagedContact] {
        try db.read { db in
            var out: [String: ManagedContact] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT user_id, contact_id, hash FROM managed_contact WHERE owner_id = ?", arguments: [owner]) {
                out[row["user_id"]] = ManagedContact(userId: row["user_id"], contactId: row["contact_id"], hash: row["hash"])
            }
            return out
        }
    }

    /// What galsync wrote in one mailbox for just these users (an incremental plan reads no more).
    public func managedContacts(_ owner: String, userIds: some Collection<String>) throws -> [String: ManagedContact] {
        let ids = Array(userIds)
        return try db.read { db in
            var out: [String: ManagedContact] = [:]
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(start + 500, ids.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let sql = "SELECT user_id, contact_id, hash FROM managed_contact WHERE owner_id = ? AND user_id IN (\(marks))"
                for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments([owner] + chunk)) {
                    out[row["user_id"]] = ManagedContact(userId: row["user_id"], contactId: row["contact_id"], hash: row["hash"])
                }
            }
            return out
        }
    }

    /// How many contacts galsync manages in one mailbox.
    public func managedContactCount(_ owner: String) throws -> Int {
        try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM managed_contact WHERE owner_id = ?", arguments: [owner]) ?? 0 }
    }

    public func managedContactCount() throws -> Int {
        try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM managed_contact") ?? 0 }
    }

    /// Replaces everything known about one mailbox's contacts (after listing it).
    public func replaceManagedContacts(_ owner: String, _ contacts: [ManagedContact]) throws {
        try db.write { db in
            try db.execute(sql: "DELETE FROM managed_contact WHERE owner_id = ?", arguments: [owner])
            for c in contacts {
                try db.execute(sql: "INSERT OR REPLACE INTO managed_contact (owner_id, user_id, contact_id, hash) VALUES (?, ?, ?, ?)",
                               arguments: [owner, c.userId, c.contactId, c.hash])
            }
            try db.execute(sql: "DELETE FROM intent WHERE owner_id = ?", arguments: [owner])
            try Self.forgetApplied(db, owner)
        }
    }

    /// Forgets which desired set `owner`'s mailbox holds: its contacts' rows changed, and only
    /// `setMailbox(applied:)` after every operation was confirmed may say so again.
    static func forgetApplied(_ db: Database, _ owner: String) throws {
        try db.execute(sql: "UPDATE mailbox SET applied = NULL WHERE owner_id = ? AND applied IS NOT NULL", arguments: [owner])
    }

    /// Records the intent to create (a non-idempotent call) before sending it.
    public func recordIntent(owner: String, userId: String?, op: String) throws -> Int64 {
        try db.write { db in
            try db.execute(sql: "INSERT INTO intent (owner_id, user_id, op, created) VALUES (?, ?, ?, ?)",
                           arguments: [owner, userId, op, Date().timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    /// Owners with intents left by a crash: their mailboxes must be listed and reconciled.
    public func ownersWithPendingIntents() throws -> Set<String> {
        try db.read { Set(try String.fetchAll($0, sql: "SELECT DISTINCT owner_id FROM intent")) }
    }

    public func clearIntent(_ id: Int64) throws {
        try db.write { try $0.execute(sql: "DELETE FROM intent WHERE id = ?", arguments: [id]) }
    }

    /// A projection galsync wrote before (by hash), to compute what an update must change.
    public func projection(_ hash: String) throws -> String? {
        try db.read { try String.fetchOne($0, sql: "SELECT json FROM projection WHERE hash = ?", arguments: [hash]) }
    }

    public func storeProjections(_ byHash: [String: String]) throws {
        try db.write { db in
            let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO projection (hash, json) VALUES (?, ?)")
            for (hash, json) in byHash { try insert.execute(arguments: [hash, json]) }
        }
        storedProjections.withLock { $0.formUnion(byHash.keys) }
    }

    /// Drops projections no managed contact refers to any more.
    public func pruneProjections() throws {
        try db.write { try $0.execute(sql: "DELETE FROM projection WHERE hash NOT IN (SELECT DISTINCT hash FROM managed_contact)") }
        storedProjections.withLock { $0.removeAll() }
    }
}

extension StateStore {
    /// One intent per mailbox whose creates a `$batch` is about to send, in one transaction:
    /// owner → intent id. A mailbox with an intent is listed by the next cycle
    /// (`ownersWithPendingIntents`) unless the batch's answer settled every create of it and
    /// `record` cleared the intent (one row per mailbox and batch, not per create: the next cycle
    /// lists the mailbox either way, and 40 statements per batch became 2).
    public func recordBatchIntents(owners: some Collection<String>) throws -> [String: Int64] {
        try db.write { db in
            var ids: [String: Int64] = [:]
            let insert = try db.makeStatement(sql: "INSERT INTO intent (owner_id, user_id, op, created) VALUES (?, NULL, 'create', ?)")
            let t = Date().timeIntervalSince1970
            for owner in owners {
                try insert.execute(arguments: [owner, t])
                ids[owner] = db.lastInsertedRowID
            }
            return ids
        }
    }

    /// The confirmed outcome of one batch response, committed together.
    public struct BatchResult: Sendable {
        public var written: [(contact: ManagedContact, projectionJSON: String, intent: Int64?)] = []
        public var deleted: [(userId: String, contactId: String)] = []
        /// Intents of creates Graph refused outright (nothing was made).
        public var clearedIntents: [Int64] = []
        /// Photos Graph confirmed on contacts (`contact_photo`).
        public var photos: [ContactPhotoWork] = []
        /// Photos Exchange refused outright (not sent again until they change).
        public var refusedPhotos: [ContactPhotoWork] = []
        public init() {}
    }

    public func record(owner: String, _ r: BatchResult) throws {
        if !r.photos.isEmpty { try recordContactPhotos(r.photos) }
        if !r.refusedPhotos.isEmpty { try recordRefusedPhotos(r.refusedPhotos) }
        guard !r.written.isEmpty || !r.deleted.isEmpty || !r.clearedIntents.isEmpty else { return }
        let known = storedProjections.withLock { $0 }
        var inserted: [String] = []
        try db.write { db in
            inserted = []  // (a retried transaction starts over)
            let projection = try db.makeStatement(sql: "INSERT OR IGNORE INTO projection (hash, json) VALUES (?, ?)")
            let managed = try db.makeStatement(sql: "INSERT OR REPLACE INTO managed_contact (owner_id, user_id, contact_id, hash) VALUES (?, ?, ?, ?)")
            let intent = try db.makeStatement(sql: "DELETE FROM intent WHERE id = ?")
            let delete = try db.makeStatement(sql: "DELETE FROM managed_contact WHERE owner_id = ? AND user_id = ? AND contact_id = ?")
            for w in r.written {
                if !known.contains(w.contact.hash), !inserted.contains(w.contact.hash) {
                    try projection.execute(arguments: [w.contact.hash, w.projectionJSON])
                    inserted.append(w.contact.hash)
                }
                try managed.execute(arguments: [owner, w.contact.userId, w.contact.contactId, w.contact.hash])
                if let i = w.intent { try intent.execute(arguments: [i]) }
            }
            for d in r.deleted { try delete.execute(arguments: [owner, d.userId, d.contactId]) }
            for i in r.clearedIntents { try intent.execute(arguments: [i]) }
            if !r.written.isEmpty || !r.deleted.isEmpty { try Self.forgetApplied(db, owner) }
        }
        if !inserted.isEmpty { storedProjections.withLock { $0.formUnion(inserted) } }
    }
}
