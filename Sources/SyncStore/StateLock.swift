import Foundation

/// An exclusive lock next to the state database (`state.db.lock`), so that a second galsync —
/// the service and a `sync` from the shell — never runs a cycle at the same time.
public final class StateLock: Sendable {
    let fd: Int32
    public let path: String

    public struct Busy: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let holder: String
        public var description: String {
            "another galsync (\(holder)) is running a cycle on this state (\(path)); wait for it, or stop the service with 'systemctl stop galsync'"
        }
    }

    /// Takes the lock, creating the state folder (0700) first when it is missing: the lock is
    /// the first thing a writing command opens. Throws `Busy`, or a `StateStoreError`.
    public init(statePath: String) throws {
        path = statePath + ".lock"
        try StateFolder.create(for: statePath)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateStoreError.notWritable(path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = pread(fd, &buffer, 64, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "pid unknown"
            throw Busy(path: statePath, holder: holder)
        }
        self.fd = fd
        let pid = Array("pid \(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
