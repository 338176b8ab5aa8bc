import Foundation

/// An exclusive lock next to the state database (`state.db.lock`), so that a second galsync —
/// the service and a `sync` from the shell — never runs a cycle at the same time. The file
/// holds `pid N: galsync COMMAND`; who holds the lock is read from the kernel (`/proc/locks`),
/// so a stale file after a crash never reads as "running".
public final class StateLock: Sendable {
    let fd: Int32
    public let path: String

    /// Another process holds the lock. The message fits who holds it and who asks.
    public struct Busy: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let holder: String
        /// Who holds it, when the kernel says.
        public var process: StateLockHolder?
        /// The service asks (`galsync run`), rather than a one-shot command.
        public var askedByService = false

        public var description: String {
            let who = process.map { "\($0.command) (pid \($0.pid))" } ?? "another galsync (\(holder))"
            if process?.isService == true {
                return "the galsync service, \(who), holds the state \(path) for as long as it runs: to run a cycle now, "
                    + "'systemctl kill -s USR1 galsync'; to run this command instead, 'systemctl stop galsync' first"
            }
            if askedByService {
                return "\(who) is working on the state \(path); the service starts once it ends (systemd restarts it)"
            }
            return "\(who) is working on the state \(path): wait for it to end, or add --wait-lock to wait"
        }
    }

    /// Takes the lock, creating the state folder (0700) first when it is missing: the lock is
    /// the first thing a writing command opens. Throws `Busy`, or a `StateStoreError`.
    public convenience init(statePath: String) throws {
        try self.init(statePath: statePath, attempt: ())
    }

    private init(statePath: String, attempt: Void) throws {
        path = statePath + ".lock"
        try StateFolder.create(for: statePath)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateStoreError.notWritable(path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 128)
            let n = pread(fd, &buffer, 128, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "pid unknown"
            throw Busy(path: statePath, holder: holder, process: StateLockHolder.find(lockPath: statePath + ".lock"),
                       askedByService: CommandLine.arguments.dropFirst().first == "run")
        }
        self.fd = fd
        let me = Array("pid \(getpid()): \(StateLockHolder.describe(CommandLine.arguments))\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, me, me.count, 0)
    }

    /// Takes the lock, waiting up to `wait` for its holder to let go (`sync --wait-lock`);
    /// then throws `Busy` as the plain initialiser does.
    public static func acquire(statePath: String, waiting wait: Duration) async throws -> StateLock {
        let deadline = ContinuousClock.now + wait
        while true {
            do {
                return try StateLock(statePath: statePath)
            } catch let busy as Busy where ContinuousClock.now < deadline {
                _ = busy
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
