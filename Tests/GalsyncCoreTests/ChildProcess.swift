import Foundation
import ProcessSupport

/// A child process awaited without blocking Swift's cooperative threads: the in-process
/// simulator it talks to needs them.
///
/// Its stdout and stderr go to a file in `GALSYNC_CHILD_OUTPUT` (set by `scripts/test`, which
/// runs the secrets sweep over them: a child galsync's logs must hold no token or key either),
/// or nowhere when that is unset.
final class ChildProcess: Sendable {
    let process: SpawnedProcess

    init(_ executable: String, _ arguments: [String]) {
        process = SpawnedProcess(executable, arguments)
        let output = Self.outputFile(executable)
        process.standardOutput = output
        process.standardError = output
    }

    /// A new file for one child's output, or the null device.
    static func outputFile(_ executable: String) -> FileHandle {
        guard let dir = ProcessInfo.processInfo.environment["GALSYNC_CHILD_OUTPUT"], !dir.isEmpty else { return .nullDevice }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = "\(dir)/\(URL(fileURLWithPath: executable).lastPathComponent)-\(UUID().uuidString).log"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else { return .nullDevice }
        return handle
    }

    func start() throws { try process.start() }
    var isRunning: Bool { process.isRunning }
    func kill() { process.kill(SIGKILL) }

    /// Waits for the exit (reaped on a Dispatch thread); returns the exit status.
    func wait() async -> Int32 { await process.wait() }

    static func run(_ executable: String, _ arguments: [String]) async throws -> Int32 {
        let child = ChildProcess(executable, arguments)
        try child.start()
        return await child.wait()
    }
}
