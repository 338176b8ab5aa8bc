import Foundation
@testable import GraphHTTP
import Testing

/// Hundreds of requests are in flight at once without a thread each: every transfer runs on
/// the one `CurlEventLoop` thread (libcurl's multi interface). Blocking a Dispatch worker per
/// transfer, as before, ran them a few at a time and took one thread each.
@Suite(.serialized) struct ManyInFlightTests {
    /// Threads of this process now (`/proc/self/status`).
    static func threads() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? "Threads: 0"
        return Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
    }

    @Test(.timeLimit(.minutes(1))) func threeHundredSlowAnswersAreAwaitedTogether() async throws {
        let server = try LocalPythonServer()
        defer { server.stop() }
        let transport = CurlTransport()
        // Warm the loop (its thread starts on first use) and the server.
        _ = try await transport.send(HTTPRequest(url: "\(server.url)/slow?ms=1"))
        let before = Self.threads()
        let count = 300
        let start = ContinuousClock.now
        let peak = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let r = try await transport.send(HTTPRequest(url: "\(server.url)/slow?ms=1500", timeout: 30))
                    #expect(r.status == 200 && r.text == "slow")
                    return 0
                }
            }
            // Half-way through the answers' delay: every request is waiting on the server.
            group.addTask {
                try await Task.sleep(for: .milliseconds(900))
                return Self.threads()
            }
            return try await group.reduce(0, max)
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(6), "\(count) requests answered after 1.5 s each took \(elapsed): they did not wait together")
        #expect(peak - before < 24, "\(count) requests in flight took \(peak - before) more threads (\(before) → \(peak))")
    }

    /// Cancelling one request ends it at once, while the others go on.
    @Test(.timeLimit(.minutes(1))) func cancellingOneTransferLeavesTheOthers() async throws {
        let server = try LocalPythonServer()
        defer { server.stop() }
        let transport = CurlTransport()
        let start = ContinuousClock.now
        let slow = Task { try await transport.send(HTTPRequest(url: "\(server.url)/slow?ms=20000", timeout: 30)) }
        let other = Task { try await transport.send(HTTPRequest(url: "\(server.url)/slow?ms=800", timeout: 30)) }
        try await Task.sleep(for: .milliseconds(300))
        slow.cancel()
        await #expect(throws: CancellationError.self) { _ = try await slow.value }
        #expect(ContinuousClock.now - start < .seconds(2), "the cancelled transfer ended only after \(ContinuousClock.now - start)")
        #expect(try await other.value.status == 200)
    }

    /// A request with `cancelGrace` that ends within it returns its answer though its task was
    /// cancelled (a `$batch` of creates: its ids are not lost); past the grace it is aborted.
    @Test(.timeLimit(.minutes(1))) func aCancelledRequestWithGraceKeepsItsAnswer() async throws {
        let server = try LocalPythonServer()
        defer { server.stop() }
        let transport = CurlTransport()
        var quick = HTTPRequest(url: "\(server.url)/slow?ms=700", timeout: 30)
        quick.cancelGrace = 3
        var stuck = HTTPRequest(url: "\(server.url)/slow?ms=20000", timeout: 30)
        stuck.cancelGrace = 1
        let start = ContinuousClock.now
        let answered = Task { try await transport.send(quick) }
        let aborted = Task { try await transport.send(stuck) }
        try await Task.sleep(for: .milliseconds(200))
        answered.cancel()
        aborted.cancel()
        #expect(try await answered.value.text == "slow", "the answer within the grace is kept")
        await #expect(throws: CancellationError.self) { _ = try await aborted.value }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(1100) && elapsed < .seconds(4), "aborted after its grace: \(elapsed)")
    }
}
