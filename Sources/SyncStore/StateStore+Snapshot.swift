import Foundation
import GRDB

/// The whole state as one consistent file, for nodes that share state through PostgreSQL: the
/// node working a tenant saves it after each cycle, the node that takes the tenant over puts
/// it in place before its first cycle.
extension StateStore {
    /// A consistent copy of the state at `path` (SQLite's `VACUUM INTO`, which reads one
    /// snapshot while a cycle may go on writing), as bytes.
    public static func snapshot(of path: String) throws -> Data {
        let copy = path + ".snapshot-\(getpid())"
        try? FileManager.default.removeItem(atPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        try sqlite(path) {
            let queue = try DatabaseQueue(path: path, configuration: config)
            try queue.inDatabase { try $0.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
        }
        guard let data = FileManager.default.contents(atPath: copy) else { throw StateStoreError.notReadable(path: copy, errno: errno) }
        return data
    }

    /// Puts `bytes` (a `snapshot`) in place as the state at `path`, replacing what was there
    /// and its WAL; the caller holds the state lock. Checked as galsync's before it replaces.
    public static func restore(_ bytes: Data, at path: String) throws {
        try StateFolder.create(for: path)
        let incoming = path + ".incoming"
        guard FileManager.default.createFile(atPath: incoming, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw StateStoreError.notWritable(path: incoming, errno: errno)
        }
        do {
            _ = try StateStore(path: incoming, readOnly: true)
        } catch {
            try? FileManager.default.removeItem(atPath: incoming)
            throw error
        }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        guard rename(incoming, path) == 0 else { throw StateStoreError.notWritable(path: path, errno: errno) }
    }

    /// Removes the state at `path` (a tenant this node takes over with no saved state yet
    /// must not start from an old local copy).
    public static func remove(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
