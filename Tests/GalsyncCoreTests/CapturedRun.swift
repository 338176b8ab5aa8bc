import Foundation
import ProcessSupport

/// A finished child galsync with what it printed, for tests that assert on an operator's view:
/// the exit status, stdout and stderr. The output files go to `GALSYNC_CHILD_OUTPUT` when set
/// (the secrets sweep reads them there), else to a temporary folder that is removed.
struct CapturedRun: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String

    /// Runs `executable`, killing it if it outlives `timeout` (a test must not hang on a
    /// service that failed to stop).
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(120)) async throws -> CapturedRun {
        let shared = ProcessInfo.processInfo.environment["GALSYNC_CHILD_OUTPUT"].flatMap { $0.isEmpty ? nil : $0 }
        let dir = shared ?? FileManager.default.temporaryDirectory.appendingPathComponent("galsync-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let base = "\(dir)/\(URL(fileURLWithPath: executable).lastPathComponent)-\(UUID().uuidString)"
        defer { if shared == nil { try? FileManager.default.removeItem(atPath: dir) } }
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        let child = ChildProcess(executable, arguments)
        child.process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
        child.process.standardError = FileHandle(forWritingAtPath: base + ".err")
        try child.start()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            if child.isRunning { child.kill() }
        }
        let status = await child.wait()
        watchdog.cancel()
        func read(_ suffix: String) -> String { (try? String(contentsOfFile: base + suffix, encoding: .utf8)) ?? "" }
        return CapturedRun(status: status, stdout: read(".out"), stderr: read(".err"))
    }

    /// True when this machine lets a child see a folder through a read-only bind mount in its
    /// own mount namespace (`unshare -m`, as root); the outside is not affected.
    static let readOnlyMountWorks: Bool = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-ro-probe-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = SpawnedProcess("/usr/bin/unshare", ["-m", "sh", "-c", #"mount --bind -o ro "$1" "$1" && ! touch "$1/w" 2>/dev/null"#, "sh", dir])
        guard (try? p.start()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// Runs `executable` in a mount namespace where `folder` is a read-only bind mount of itself.
    static func withReadOnly(_ folder: String, _ executable: String, _ arguments: [String]) async throws -> CapturedRun {
        try await run("/usr/bin/unshare", ["-m", "sh", "-c", #"mount --bind -o ro "$1" "$1" && shift && exec "$@""#, "sh", folder, executable] + arguments)
    }
}
