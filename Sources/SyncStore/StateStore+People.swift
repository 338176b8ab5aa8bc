import Foundation
import GRDB

/// People's names, so that messages say `alice@contoso.com`, not a GUID. Written with the
/// directory snapshot; a leaver's name stays while galsync still has their mailbox or a
/// contact of theirs (a plan's "delete Ravi Kowalski (ravi@…)", a purge of their mailbox).
extension StateStore {
    /// (id, user JSON): keeps a known name when a delta record leaves it out.
    static let upsertPerson = """
        INSERT INTO person (id, upn, name) SELECT ?1, json_extract(?2, '$.userPrincipalName'), json_extract(?2, '$.displayName') WHERE json_valid(?2)
        ON CONFLICT (id) DO UPDATE SET upn = COALESCE(excluded.upn, upn), name = COALESCE(excluded.name, name)
        """

    /// Drops names nothing refers to any more (after a full directory read).
    static func prunePeople(_ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM person WHERE id NOT IN (SELECT id FROM directory_user) AND id NOT IN (SELECT owner_id FROM mailbox) AND id NOT IN (SELECT owner_id FROM departed_mailbox)
                AND id NOT IN (SELECT user_id FROM managed_contact)
            """)
    }

    /// The names of `ids` that are known; ids with no name are left out.
    public func people(_ ids: some Collection<String>) throws -> [String: PersonName] {
        guard !ids.isEmpty else { return [:] }
        return try db.read { db in
            var out: [String: PersonName] = [:]
            let statement = try db.makeStatement(sql: "SELECT upn, name FROM person WHERE id = ?")
            for id in Set(ids) {
                if let row = try Row.fetchOne(statement, arguments: [id]) {
                    out[id] = PersonName(id: id, upn: row["upn"], displayName: row["name"])
                }
            }
            return out
        }
    }

    /// The id of the person with this UPN (case-insensitive), leavers included.
    public func personId(upn: String) throws -> String? {
        try db.read { db in
            try String.fetchOne(db, sql: "SELECT id FROM person WHERE lower(upn) = lower(?) LIMIT 1", arguments: [upn])
        }
    }

    /// Mailboxes whose owners left the directory with galsync's contacts in them: owner →
    /// (folder, contacts). `purge --all` tries them; a restored owner's are purged.
    public func departedMailboxes() throws -> [String: (folderId: String?, contacts: Int)] {
        try db.read { db in
            var out: [String: (folderId: String?, contacts: Int)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT owner_id, folder_id, contacts FROM departed_mailbox") {
                out[row["owner_id"]] = (row["folder_id"], row["contacts"])
            }
            return out
        }
    }

    /// The mailboxes where galsync holds a contact of `userId` (`galsync why`).
    public func mailboxesHolding(_ userId: String) throws -> [String] {
        try db.read { db in
            try String.fetchAll(db, sql: "SELECT owner_id FROM managed_contact WHERE user_id = ? ORDER BY owner_id", arguments: [userId])
        }
    }
}
