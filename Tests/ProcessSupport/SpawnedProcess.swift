import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one of a child's standard streams is connected to: a `FileHandle` (a file, this
/// process's own stream, or `FileHandle.nullDevice`) or a `Pipe`, whose end the child gets is
/// closed here once the child has started (so reading the other end sees the child's exit).
public protocol SpawnStream {}
extension FileHandle: SpawnStream {}
extension Pipe: SpawnStream {}

/// A child process for tests, started with `posix_spawn` rather than `Foundation.Process`.
///
/// On Linux `Process.run()` finds the highest open descriptor by reading /proc/self/fd and
/// copies each entry's whole 256-byte `d_name`, past the end of glibc's buffer: in suites that
/// start many children it crashed the test process about one run in five
/// (swift-corelibs-foundation#5472). Here the child closes every descriptor above stderr itself
/// (`posix_spawn_file_actions_addclosefrom_np`, glibc 2.34).
///
/// Kept from `Process`: the path is run as given (no PATH search), the child leads a new
/// process group, gets `environment` or this process's, and inherits signal dispositions; the
/// exit reads as `terminationStatus` (the exit code, or the signal's number) and
/// `terminationReason`. Changed: a stream left nil is /dev/null (`Process` passed this process's
/// own), and the child starts with no signal blocked whichever thread starts it.
///
/// `@unchecked Sendable`: the settings are written before `start()` only; the wait status is
/// guarded by `lock`, and `exited` is a DispatchGroup (thread-safe).
public final class SpawnedProcess: @unchecked Sendable {
    public enum TerminationReason: Sendable { case exit, uncaughtSignal }

    public let executablePath: String
    public let arguments: [String]
    /// The child's whole environment; nil passes this process's `environ`.
    public var environment: [String: String]?
    /// nil and `FileHandle.nullDevice` are /dev/null.
    public var standardInput: (any SpawnStream)?, standardOutput: (any SpawnStream)?, standardError: (any SpawnStream)?

    public private(set) var processIdentifier: pid_t = 0
    private let lock = NSLock()
    private var waitStatus: Int32?  // set once the child is reaped
    private let exited = DispatchGroup()

    public init(_ executablePath: String, _ arguments: [String]) {
        self.executablePath = executablePath
        self.arguments = arguments
    }

    public func start() throws {
        precondition(processIdentifier == 0, "a SpawnedProcess starts once")
        func check(_ result: Int32) throws {
            guard result != 0 else { return }
            throw NSError(domain: NSPOSIXErrorDomain, code: Int(result), userInfo: [NSFilePathErrorKey: executablePath])
        }
        var actions = posix_spawn_file_actions_t()
        try check(posix_spawn_file_actions_init(&actions))
        defer { posix_spawn_file_actions_destroy(&actions) }
        var childEnds: [FileHandle] = []
        for (fd, stream) in [(STDIN_FILENO, standardInput), (STDOUT_FILENO, standardOutput), (STDERR_FILENO, standardError)] {
            var handle = stream as? FileHandle
            if let pipe = stream as? Pipe {
                handle = fd == STDIN_FILENO ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                if !childEnds.contains(where: { $0 === handle }) { childEnds.append(handle!) }
            }
            if let handle, handle !== FileHandle.nullDevice {
                try check(posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, fd))
            } else {
                try check(posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0))
            }
        }
        try check(Self.addCloseFrom(&actions, 3))

        var attributes = posix_spawnattr_t()
        try check(posix_spawnattr_init(&attributes))
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        try check(posix_spawnattr_setsigmask(&attributes, &noSignals))
        try check(posix_spawnattr_setpgroup(&attributes, 0))
        try check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK)))

        let argv = ([executablePath] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { (argv + (envp ?? [])).forEach { free($0) } }
        var spawned: pid_t = 0
        try check(envp.map { posix_spawn(&spawned, executablePath, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&spawned, executablePath, &actions, &attributes, argv, environ))
        let pid = spawned
        processIdentifier = pid
        for end in childEnds { try? end.close() }

        // One blocking waitpid per child, on a thread of its own: a queue made here targets
        // Dispatch's overcommit pool, never Swift's cooperative threads nor `.global()`'s few.
        exited.enter()
        DispatchQueue(label: "SpawnedProcess.waitpid").async { [self] in
            // Wait for the exit without reaping, then reap under the lock, so `kill` never
            // signals a pid that may already belong to another process.
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
            var status: Int32 = 0
            lock.withLock {
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                waitStatus = status
            }
            exited.leave()
        }
    }

    public var isRunning: Bool { processIdentifier != 0 && lock.withLock { waitStatus == nil } }

    /// Sends `signal` unless the child has already been reaped.
    public func kill(_ signal: Int32 = SIGTERM) {
        lock.withLock { if processIdentifier != 0 && waitStatus == nil { _ = Glibc.kill(processIdentifier, signal) } }
    }

    /// Waits for the exit without holding any thread; returns `terminationStatus`.
    public func wait() async -> Int32 {
        precondition(processIdentifier != 0, "not started")
        return await withCheckedContinuation { continuation in
            exited.notify(queue: .global()) { continuation.resume(returning: self.terminationStatus) }
        }
    }

    /// Blocks the calling thread until the exit.
    public func waitUntilExit() {
        precondition(processIdentifier != 0, "not started")
        exited.wait()
    }

    /// The exit code, or the number of the signal that ended the child.
    public var terminationStatus: Int32 { let s = finished(); return s & 0x7f == 0 ? (s >> 8) & 0xff : s & 0x7f }
    public var terminationReason: TerminationReason { finished() & 0x7f == 0 ? .exit : .uncaughtSignal }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34), looked up at run time: Swift's
    /// Glibc module does not define `_GNU_SOURCE`, which its declaration needs.
    private static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { fatalError("glibc 2.34 or later is needed") }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32).self)
    }()

    private func finished() -> Int32 {
        guard let status = lock.withLock({ waitStatus }) else { preconditionFailure("the child is still running") }
        return status
    }
}
