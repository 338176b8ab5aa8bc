import Foundation
import GRDB

/// The directory snapshot: each user's selected properties as Graph last reported them, and
/// group memberships.
extension StateStore {
    /// All users of the snapshot, id → JSON object text.
    public func directoryUsers() throws -> [String: String] {
        var out: [String: String] = [:]
        try forEachDirectoryUser { out[$0] = $1 }
        return out
    }

    /// Calls `body` with each user of the snapshot (id, JSON object text), one row at a time,
    /// so that a caller keeping users in another form never holds every row's text.
    public func forEachDirectoryUser(_ body: (String, String) throws -> Void) throws {
        try db.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT id, json FROM directory_user")
            while let row = try rows.next() { try body(row["id"], row["json"]) }
        }
    }

    /// Applies one delta round in one transaction: upserts, removals, then the new deltaLink,
    /// so the link is never saved without the changes it covers. `replaceAll` (a full resync)
    /// drops users not in `upserts`.
    public func applyDirectory(upserts: [String: String], removals: Set<String>, deltaLink: String, select: String, replaceAll: Bool) throws {
        try applyDirectory(upserts: upserts.lazy.map { ($0.key, $0.value) }, removals: removals, deltaLink: deltaLink, select: select, replaceAll: replaceAll)
    }

    /// The same, with the upserts (id, JSON object text) made as they are written: a full
    /// resync's 100,000 texts need not be held at once.
    public func applyDirectory(upserts: some Sequence<(String, String)>, removals: Set<String>, deltaLink: String, select: String, replaceAll: Bool) throws {
        try db.write { db in
            try Self.applyRound(db, table: "directory_user", upserts: upserts, removals: removals, replaceAll: replaceAll)
            if replaceAll { try Self.prunePeople(db) }
            try Self.setMeta(db, "delta_link", deltaLink)
            try Self.setMeta(db, "delta_select", select)
            try Self.setMeta(db, "delta_saved", String(Date().timeIntervalSince1970))
        }
    }

    /// One delta round's rows into `table` (`id`, `json`), each name into `person` too;
    /// `replaceAll` (a full round) first empties the table. Shared by the users and the mail contacts.
    static func applyRound(_ db: Database, table: String, upserts: some Sequence<(String, String)>, removals: Set<String>, replaceAll: Bool) throws {
        if replaceAll { try db.execute(sql: "DELETE FROM \(table)") }
        let insert = try db.makeStatement(sql: "INSERT OR REPLACE INTO \(table) (id, json) VALUES (?, ?)")
        let name = try db.makeStatement(sql: upsertPerson)
        for (id, json) in upserts {
            try insert.execute(arguments: [id, json])
            try name.execute(arguments: [id, json])
        }
        let delete = try db.makeStatement(sql: "DELETE FROM \(table) WHERE id = ?")
        for id in removals { try delete.execute(arguments: [id]) }
    }

    /// Replaces the stored members of the given groups.
    public func setGroupMembers(_ members: [String: Set<String>]) throws {
        try db.write { db in
            for (group, ids) in members {
                try db.execute(sql: "DELETE FROM group_member WHERE group_id = ?", arguments: [group])
                let insert = try db.makeStatement(sql: "INSERT INTO group_member (group_id, user_id) VALUES (?, ?)")
                for id in ids { try insert.execute(arguments: [group, id]) }
            }
        }
    }

    public func groupMembers() throws -> [String: Set<String>] {
        try db.read { db in
            var out: [String: Set<String>] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT group_id, user_id FROM group_member") {
                out[row["group_id"] as String, default: []].insert(row["user_id"])
            }
            return out
        }
    }
}
