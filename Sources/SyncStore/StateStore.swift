import Foundation
import GRDB

/// galsync's state database (`state.db`, SQLite in WAL mode, migrated on open): the directory
/// snapshot, the targets, what galsync wrote into each mailbox, pending intents, the deltaLink
/// and cycle history. Every method is one transaction.
public final class StateStore: Sendable {
    let db: DatabaseQueue
    public let path: String

    /// Opens (creating with mode 0600 in a 0700 folder when missing) and migrates.
    public init(path: String) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        if !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        config.busyMode = .timeout(5)
        db = try DatabaseQueue(path: path, configuration: config)
        try Self.migrator.migrate(db)
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
