import Foundation
import GRDB

/// The last cycle's desired contacts, kept so that a new process (a one-shot `sync`, a restarted
/// or reloaded service) plans from the changes as a running service does, instead of reading
/// every mailbox's rows: what the set stands for (`DesiredBasis`, in `meta`), each in-scope
/// user's projection hash (`desired_contact`), and per mailbox the set it last held in full
/// (`mailbox.applied`, written by `setMailbox`).
extension StateStore {
    /// What a recorded desired set stands for.
    public struct DesiredBasis: Sendable, Equatable {
        /// The deltaLink the set's directory round ended with: only a round that starts from it
        /// can be compared with the set.
        public var link: String
        /// The settings that shape what a mailbox holds besides who is in scope (the excluded
        /// fields, `include_self`): another value means every mailbox is planned in full.
        public var settings: String
        /// The set's number, never reused: a mailbox whose `applied` equals it holds exactly
        /// these contacts.
        public var generation: Int

        public init(link: String, settings: String, generation: Int) {
            self.link = link
            self.settings = settings
            self.generation = generation
        }
    }

    /// The recorded set's basis; nil before the first cycle that recorded one.
    public func desiredBasis() throws -> DesiredBasis? {
        try db.read { db in
            let meta = try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT key, value FROM meta WHERE key LIKE 'desired_%'")
                .map { ($0["key"] as String, $0["value"] as String) })
            guard let link = meta["desired_link"], let settings = meta["desired_settings"],
                  let generation = meta["desired_generation"].flatMap(Int.init) else { return nil }
            return DesiredBasis(link: link, settings: settings, generation: generation)
        }
    }

    /// The recorded set: user id → projection hash.
    public func desiredHashes() throws -> [String: String] {
        try db.read { db in
            var out: [String: String] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT user_id, hash FROM desired_contact")
            while let row = try rows.next() { out[row["user_id"]] = row["hash"] }
            return out
        }
    }

    /// Records a new desired set as its difference from the recorded one (`upserts`: users whose
    /// hash is new or changed; `removals`: users no longer in it), with its basis, in one
    /// transaction. `continues`: false when the set could not be compared with the recorded one
    /// (another round, other settings): then no mailbox is known to hold any set any more.
    public func recordDesired(_ basis: DesiredBasis, upserts: [String: String], removals: some Collection<String>, continues: Bool) throws {
        try db.write { db in
            let upsert = try db.makeStatement(sql: "INSERT OR REPLACE INTO desired_contact (user_id, hash) VALUES (?, ?)")
            for (user, hash) in upserts { try upsert.execute(arguments: [user, hash]) }
            let delete = try db.makeStatement(sql: "DELETE FROM desired_contact WHERE user_id = ?")
            for user in removals { try delete.execute(arguments: [user]) }
            if !continues { try db.execute(sql: "UPDATE mailbox SET applied = NULL WHERE applied IS NOT NULL") }
            try Self.setMeta(db, "desired_link", basis.link)
            try Self.setMeta(db, "desired_settings", basis.settings)
            try Self.setMeta(db, "desired_generation", String(basis.generation))
        }
    }
}
