import Foundation
import GRDB

/// A tenant's whole state as one archive, for nodes that share state through PostgreSQL: the
/// node working a tenant saves it after each cycle, the node that takes the tenant over puts it
/// in place before its first cycle. The state is `sync.state` and each named list's
/// `lists/<name>.db` beside it; the photo cache is not part of it (a new node downloads again
/// what it needs).
extension StateStore {
    /// The archive's first bytes: "GSA1".
    static let archiveMagic = Data("GSA1".utf8)
    /// An archive with no file: restoring it removes the tenant's state files.
    public static let emptyArchive = archiveMagic

    /// A consistent copy of every state file of the tenant whose state is at `path` (each
    /// through SQLite's `VACUUM INTO`, which reads one snapshot while a cycle may go on
    /// writing), as one archive.
    public static func snapshot(of path: String) throws -> Data {
        var archive = archiveMagic
        for (name, file) in stateFiles(of: path) {
            let bytes = try vacuumed(file)
            let nameBytes = Data(name.utf8)
            archive.append(contentsOf: withUnsafeBytes(of: UInt16(nameBytes.count).bigEndian, Array.init))
            archive.append(nameBytes)
            archive.append(contentsOf: withUnsafeBytes(of: UInt64(bytes.count).bigEndian, Array.init))
            archive.append(bytes)
        }
        return archive
    }

    /// The state files of the tenant whose state is at `path`: ("state.db", path) and each
    /// ("lists/NAME.db", file) beside it.
    static func stateFiles(of path: String) -> [(String, String)] {
        var files: [(String, String)] = FileManager.default.fileExists(atPath: path) ? [("state.db", path)] : []
        let lists = (folder(of: path) as NSString).appendingPathComponent("lists")
        for file in ((try? FileManager.default.contentsOfDirectory(atPath: lists)) ?? []).sorted() where file.hasSuffix(".db") {
            files.append(("lists/" + file, (lists as NSString).appendingPathComponent(file)))
        }
        return files
    }

    static func vacuumed(_ path: String) throws -> Data {
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

    /// Puts an archive (a `snapshot`) in place as the tenant's state at `path`: every file is
    /// written beside its place and checked as galsync's before any is replaced; state files
    /// the archive does not hold are removed. The caller holds the state lock.
    public static func restore(_ archive: Data, at path: String) throws {
        let files = try unpack(archive, for: path)
        try StateFolder.create(for: path)
        var staged: [(String, String)] = []
        defer { for (incoming, _) in staged { try? FileManager.default.removeItem(atPath: incoming) } }
        for (name, bytes) in files {
            let target = name == "state.db" ? path : (folder(of: path) as NSString).appendingPathComponent(name)
            try FileManager.default.createDirectory(atPath: folder(of: target), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let incoming = target + ".incoming"
            guard FileManager.default.createFile(atPath: incoming, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
                throw StateStoreError.notWritable(path: incoming, errno: errno)
            }
            staged.append((incoming, target))
            _ = try StateStore(path: incoming, readOnly: true)
        }
        let kept = Set(staged.map(\.1))
        for (_, file) in stateFiles(of: path) where !kept.contains(file) { remove(at: file) }
        for (incoming, target) in staged {
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
            guard rename(incoming, target) == 0 else { throw StateStoreError.notWritable(path: target, errno: errno) }
        }
        staged = []
    }

    /// The archive's files, by name; a damaged archive is `.corrupt`.
    static func unpack(_ archive: Data, for path: String) throws -> [(String, Data)] {
        let bytes = [UInt8](archive)
        guard bytes.count >= 4, Data(bytes[0..<4]) == archiveMagic else { throw StateStoreError.corrupt(path: path, reason: "the saved state is not a galsync state archive") }
        var files: [(String, Data)] = []
        var at = 4
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, at + n <= bytes.count else { throw StateStoreError.corrupt(path: path, reason: "the saved state archive is cut short") }
            defer { at += n }
            return bytes[at..<at + n]
        }
        while at < bytes.count {
            let nameLength = try take(2).reduce(0) { $0 << 8 | Int($1) }
            let name = String(decoding: try take(nameLength), as: UTF8.self)
            let length = try take(8).reduce(0) { $0 << 8 | Int($1) }
            guard name == "state.db" || (name.hasPrefix("lists/") && name.hasSuffix(".db") && !name.dropFirst(6).contains("/") && !name.contains("..")) else {
                throw StateStoreError.corrupt(path: path, reason: "the saved state archive names an unexpected file '\(name)'")
            }
            files.append((name, Data(try take(length))))
        }
        return files
    }

    /// Removes the state file at `path` with its WAL.
    public static func remove(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
