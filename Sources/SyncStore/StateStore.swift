import Foundation
import GRDB
import Synchronization

/// galsync's state database (`state.db`, SQLite in WAL mode, migrated on open): the directory
/// snapshot, the targets, what galsync wrote into each mailbox, pending intents, the deltaLink
/// and cycle history. Every method is one transaction.
public final class StateStore: Sendable {
    let db: DatabaseQueue
    public let path: String
    /// Projection hashes this process knows are in the `projection` table: a first sync writes
    /// hundreds of contacts per projection, and the row needs inserting once, not each time.
    /// Only `pruneProjections` deletes rows, and it clears this.
    let storedProjections = Mutex<Set<String>>([])

    /// Opens galsync's state. For writing (`sync`, `run`, `purge`): creates the folder (0700,
    /// with its parents) and the file (0600) when missing, refuses a file that is not galsync's
    /// or is newer than this galsync, migrates, and stamps the file as galsync's. With
    /// `readOnly` (`status`, `plan`): writes nothing, so a read-only mount will do; the file
    /// must exist. Errors are `StateStoreError`s.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        db = readOnly ? try Self.openReadOnly(path) : try Self.openForWriting(path)
    }

    /// An in-memory store for tests of the pure parts.
    public init(inMemory: Void = ()) throws {
        path = ":memory:"
        db = try DatabaseQueue()
        try Self.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE directory_user (id TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE group_member (group_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (group_id, user_id));
                CREATE TABLE projection (hash TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE mailbox (
                    owner_id TEXT PRIMARY KEY, folder_id TEXT, state TEXT NOT NULL DEFAULT 'new',
                    reason TEXT, checked REAL, reconciled REAL);
                CREATE TABLE managed_contact (
                    owner_id TEXT NOT NULL, user_id TEXT NOT NULL, contact_id TEXT NOT NULL, hash TEXT NOT NULL,
                    PRIMARY KEY (owner_id, user_id));
                CREATE TABLE intent (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, owner_id TEXT NOT NULL, user_id TEXT, op TEXT NOT NULL, created REAL NOT NULL);
                CREATE TABLE cycle (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL, finished REAL, outcome TEXT,
                    created INTEGER DEFAULT 0, updated INTEGER DEFAULT 0, deleted INTEGER DEFAULT 0, unchanged INTEGER DEFAULT 0,
                    mailboxes_ok INTEGER DEFAULT 0, mailboxes_failed INTEGER DEFAULT 0, mailboxes_skipped INTEGER DEFAULT 0,
                    requests INTEGER DEFAULT 0, throttled INTEGER DEFAULT 0, message TEXT);
                """)
        }
        // v2: operations a cycle left unconfirmed (`pending`), for status and the metrics.
        m.registerMigration("v2") { db in
            try db.execute(sql: "ALTER TABLE cycle ADD COLUMN pending INTEGER DEFAULT 0")
        }
        // v3: the last desired set (user → projection hash, its basis in `meta`) and the set each
        // mailbox last held in full, so that a new process plans from the changes too.
        m.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE desired_contact (user_id TEXT PRIMARY KEY, hash TEXT NOT NULL) WITHOUT ROWID;
                ALTER TABLE mailbox ADD COLUMN applied INTEGER;
                """)
        }
        // v4: each managed folder's contacts deltaLink, for the drift check.
        m.registerMigration("v4") { db in
            try db.execute(sql: "CREATE TABLE contact_delta (owner_id TEXT PRIMARY KEY, link TEXT NOT NULL) WITHOUT ROWID")
        }
        // v5: people's names (UPN, display name) for messages, kept after they leave the
        // directory while galsync still has a mailbox or contact of theirs to name; and the
        // mailboxes of owners who left the directory with galsync's contacts still in them
        // (a restored user's mailbox still holds them: `purge --all` must find it).
        m.registerMigration("v5") { db in
            try db.execute(sql: """
                CREATE TABLE person (id TEXT PRIMARY KEY, upn TEXT, name TEXT) WITHOUT ROWID;
                CREATE TABLE departed_mailbox (owner_id TEXT PRIMARY KEY, folder_id TEXT, contacts INTEGER NOT NULL, departed REAL NOT NULL) WITHOUT ROWID;
                INSERT INTO person (id, upn, name)
                    SELECT id, json_extract(json, '$.userPrincipalName'), json_extract(json, '$.displayName') FROM directory_user WHERE json_valid(json);
                """)
        }
        m.registerMigration("v6") { db in
            // What kind of mailbox each user has (mailboxSettings.userPurpose; "none" without one),
            // read one user at a time since Graph cannot list it: kept until the next full reconcile.
            try db.execute(sql: "CREATE TABLE mailbox_purpose (user_id TEXT PRIMARY KEY, purpose TEXT NOT NULL, read_at REAL NOT NULL) WITHOUT ROWID")
        }
        m.registerMigration("v7") { db in
            // The tenant's mail contacts (orgContact) as the last /contacts/delta round left them,
            // in the user-shaped JSON galsync projects them from (include_org_contacts).
            try db.execute(sql: "CREATE TABLE org_contact (id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID")
        }
        m.registerMigration("v8") { db in
            // Photos: what galsync last saw of each user's profile photo (sha256 "" = none), and
            // the photo it last put on each managed contact (by the contact's id: a contact made
            // again has none until its upload is confirmed), with the contact photo's ETag once a
            // reconcile has seen it; `owners` = 1 when the owner replaced or removed it under
            // `photo = { policy = "keep_edits" }` (galsync leaves that contact's photo alone).
            try db.execute(sql: """
                CREATE TABLE user_photo (user_id TEXT PRIMARY KEY, etag TEXT NOT NULL, sha256 TEXT NOT NULL, checked REAL NOT NULL) WITHOUT ROWID;
                CREATE TABLE contact_photo (owner_id TEXT NOT NULL, user_id TEXT NOT NULL, contact_id TEXT NOT NULL, sha256 TEXT NOT NULL,
                    etag TEXT, owners INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (owner_id, user_id)) WITHOUT ROWID;
                """)
        }
        return m
    }

    // MARK: Meta

    public func meta(_ key: String) throws -> String? {
        try db.read { try String.fetchOne($0, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String?) throws {
        try db.write { try Self.setMeta($0, key, value) }
    }

    static func setMeta(_ db: Database, _ key: String, _ value: String?) throws {
        if let value { try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value]) }
        else { try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// Integrity as SQLite sees it (`PRAGMA integrity_check`).
    public func integrityCheck() throws -> String {
        try db.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") ?? "" }
    }
}
