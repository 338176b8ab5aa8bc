import Foundation

/// Why the state (its folder, `state.db`, its lock) cannot be used. Each case says what
/// failed, why (the system's words for the errno, never a framework's error text) and what
/// the operator does about it.
public enum StateStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The state folder could not be created; `failedAt` is the folder (itself or a parent)
    /// whose `mkdir` failed.
    case folderNotCreated(folder: String, failedAt: String, errno: Int32)
    /// A file or folder a writing command needs (the database, its lock, the folder for the
    /// WAL) cannot be created or written: a read-only mount, or missing write permission.
    case notWritable(path: String, errno: Int32)
    /// The database exists but cannot be read.
    case notReadable(path: String, errno: Int32)
    /// SQLite says the file is not a database, or a damaged one.
    case corrupt(path: String, reason: String)
    /// A SQLite database that is not galsync's (another application_id, or other tables).
    case foreign(path: String, reason: String)
    /// galsync's database, written by a newer galsync with a schema this one does not know.
    case newer(path: String, version: Int, supported: Int)
    /// galsync's database from an earlier version, opened read-only: it needs the upgrade
    /// only a writing command makes.
    case outdated(path: String)

    /// True when the file system refuses (EX_CANTCREAT, 73); false when the file itself is
    /// not one galsync can use, which a restart does not mend (EX_CONFIG, 78).
    public var isCantCreate: Bool {
        switch self {
        case .folderNotCreated, .notWritable: true
        case .notReadable, .corrupt, .foreign, .newer, .outdated: false
        }
    }

    public var description: String {
        switch self {
        case .folderNotCreated(let folder, let failedAt, let e):
            let at = failedAt == folder ? "" : " (at \(failedAt))"
            return "cannot create the state folder \(folder)\(at): \(Self.meaning(e)); "
                + (e == ENOTDIR || e == EEXIST ? "a part of that path is a file, not a folder: " : "")
                + "create it with 'mkdir -p -m 0700 \(folder)' owned by the galsync user, or set sync.state to a path in a writable folder"
        case .notWritable(let path, let e):
            let fix = switch e {
            case EROFS: "the file system is mounted read-only: remount it read-write, or set sync.state to a writable place ('galsync status' and 'galsync plan' still work read-only)"
            case EACCES, EPERM: "give the galsync user write access to it and to its folder (mode 0700, owned by galsync)"
            default: "check the file system, or set sync.state to a writable place"
            }
            return "cannot write the state \(path): \(Self.meaning(e)); \(fix)"
        case .notReadable(let path, let e):
            return "cannot read the state database \(path): \(Self.meaning(e)); give the galsync user read access to it and its folder"
        case .corrupt(let path, let reason):
            return "the state database \(path) is damaged (\(reason)): move it aside with 'mv \(path) \(path).corrupt' "
                + "(and its -wal and -shm files, if any), then run 'galsync sync': galsync re-adopts the contacts it wrote by their tag and rebuilds its state"
        case .foreign(let path, let reason):
            return "\(path) is not galsync's state database (\(reason)): set sync.state to galsync's own file, or move this one aside if the path is right"
        case .newer(let path, let version, let supported):
            return "the state database \(path) was written by a newer galsync (schema version \(version); this galsync knows up to \(supported)): "
                + "install that newer galsync again, or move the file aside to start afresh (galsync re-adopts its contacts)"
        case .outdated(let path):
            return "the state database \(path) was written by an earlier galsync and needs an upgrade this read-only command cannot make: run 'galsync sync' once"
        }
    }

    /// The C library's words for an errno ("No such file or directory").
    static func meaning(_ e: Int32) -> String { String(cString: strerror(e)) }
}
