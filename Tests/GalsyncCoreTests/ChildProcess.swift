import Foundation

/// A child process awaited without blocking Swift's cooperative threads: the in-process
/// simulator it talks to needs them.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let exited = DispatchSemaphore(value: 0)

    init(_ executable: String, _ arguments: [String]) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.terminationHandler = { [exited] _ in exited.signal() }
    }

    func start() throws { try process.run() }
    var isRunning: Bool { process.isRunning }
    func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }

    /// Waits for the exit on a Dispatch thread; returns the exit status.
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { [exited, process] in
                exited.wait()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> Int32 {
        let child = ChildProcess(executable, arguments)
        try child.start()
        return await child.wait()
    }
}
