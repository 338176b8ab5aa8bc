import Foundation
import GRDB

/// Opening the state database: the checks before SQLite sees the file (so a failure keeps its
/// errno), the identity check before anything is written, and SQLite's own refusals turned
/// into `StateStoreError`s an operator can act on.
extension StateStore {
    static func openForWriting(_ path: String) throws -> DatabaseQueue {
        try StateFolder.create(for: path)
        if access(path, F_OK) != 0 {
            let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw StateStoreError.notWritable(path: path, errno: errno) }
            close(fd)
        }
        guard access(path, W_OK) == 0 else { throw StateStoreError.notWritable(path: path, errno: errno) }
        // SQLite writes the WAL and its index beside the file.
        let folder = folder(of: path)
        guard access(folder, W_OK) == 0 else { throw StateStoreError.notWritable(path: folder, errno: errno) }
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // Before WAL mode is set: a file that is not galsync's is left exactly as it was.
            _ = try StateIdentity.check(db, path: path)
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return try sqlite(path) {
            let queue = try DatabaseQueue(path: path, configuration: config)
            try migrator.migrate(queue)
            try queue.write { db in
                let appID = try Int.fetchOne(db, sql: "PRAGMA application_id")
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version")
                if appID != StateIdentity.applicationID || version != StateIdentity.schemaVersion { try StateIdentity.stamp(db) }
            }
            return queue
        }
    }

    /// Opens without writing. On a read-only mount SQLite cannot make the WAL's index file
    /// (`-shm`), so the file is then opened as immutable: nothing can be writing it there.
    static func openReadOnly(_ path: String) throws -> DatabaseQueue {
        guard access(path, R_OK) == 0 else { throw StateStoreError.notReadable(path: path, errno: errno) }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        return try sqlite(path) {
            func open(_ location: String) throws -> (DatabaseQueue, StateIdentity.Kind) {
                let queue = try DatabaseQueue(path: location, configuration: config)
                return (queue, try queue.read { try StateIdentity.check($0, path: path) })
            }
            let (queue, kind): (DatabaseQueue, StateIdentity.Kind)
            do {
                (queue, kind) = try open(path)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN && access(folder(of: path), W_OK) != 0 {
                (queue, kind) = try open(immutableURI(path))
            }
            if kind == .empty {
                // A file made by a first open that stopped before migrating: an empty state.
                let empty = try DatabaseQueue()
                try migrator.migrate(empty)
                return empty
            }
            guard try queue.read({ try migrator.hasCompletedMigrations($0) }) else { throw StateStoreError.outdated(path: path) }
            return queue
        }
    }

    /// Runs SQLite work, turning "not a database" and "malformed" into `.corrupt`.
    static func sqlite<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
            throw StateStoreError.corrupt(path: path, reason: error.message ?? "\(error.resultCode)")
        }
    }

    static func folder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// `file:PATH?immutable=1` (SQLite's URI form; Debian's SQLite accepts URIs in any open).
    static func immutableURI(_ path: String) -> String {
        "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path) + "?immutable=1"
    }
}
