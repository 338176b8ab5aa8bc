import Foundation
import GRDB

/// How galsync knows its own state database: SQLite's `application_id` (in the file's
/// header) says "galsync", and `user_version` says which schema wrote it. A file that is not
/// galsync's, or is newer than this version, is refused before anything is changed in it.
enum StateIdentity {
    /// "GALS" in ASCII.
    static let applicationID = 0x4741_4C53
    /// The schema this galsync writes: the number of migrations. Bump it with each new one.
    static let schemaVersion = 8
    /// The tables galsync makes (those of version 1, from before it stamped its files, and the
    /// later ones) and GRDB's migration log: a file of these with application_id 0 is galsync's
    /// and is adopted.
    static let unstampedTables: Set<String> = [
        "meta", "directory_user", "group_member", "projection", "mailbox", "managed_contact", "intent", "cycle", "grdb_migrations",
        "desired_contact", "contact_delta", "person", "departed_mailbox", "mailbox_purpose", "org_contact", "user_photo", "contact_photo",
    ]

    /// What the file is, from its header and tables.
    enum Kind: Equatable {
        /// No tables yet: a new file.
        case empty
        /// galsync's, stamped.
        case galsync
        /// galsync's from before the stamp: stamped when opened for writing.
        case unstamped
    }

    /// Reads the header and the table names; throws `.foreign` or `.newer` for a file galsync
    /// must not touch. Reads only, so it is safe on any file.
    static func check(_ db: Database, path: String) throws -> Kind {
        let appID = try Int.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        let tables = try Set(String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        if appID == applicationID {
            guard version <= schemaVersion else { throw StateStoreError.newer(path: path, version: version, supported: schemaVersion) }
            return .galsync
        }
        guard appID == 0 else {
            throw StateStoreError.foreign(path: path, reason: "its SQLite application_id is \(hex(appID)), galsync's is \(hex(applicationID))")
        }
        guard version == 0 else {
            throw StateStoreError.foreign(path: path, reason: "it has user_version \(version) and no application_id, which galsync never writes")
        }
        if tables.isEmpty { return .empty }
        let strangers = tables.subtracting(unstampedTables).sorted()
        guard strangers.isEmpty else {
            throw StateStoreError.foreign(path: path, reason: "it holds tables galsync does not make: \(strangers.prefix(5).joined(separator: ", "))")
        }
        guard tables.contains("grdb_migrations") else {
            throw StateStoreError.foreign(path: path, reason: "it has tables named like galsync's but not galsync's migration log")
        }
        return .unstamped
    }

    /// Stamps the file as galsync's, at the schema just migrated to.
    static func stamp(_ db: Database) throws {
        try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        try db.execute(sql: "PRAGMA user_version = \(schemaVersion)")
    }

    static func hex(_ n: Int) -> String { "0x" + String(UInt32(truncatingIfNeeded: n), radix: 16) }
}
