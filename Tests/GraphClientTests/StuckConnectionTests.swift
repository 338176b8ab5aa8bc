import Foundation
import GraphHTTP
import Testing

/// A server that accepts the connection (the kernel completes the handshake for a listening
/// socket) but never answers must not hold a request forever: the total timeout ends it with
/// a retryable transport error.
@Suite struct StuckConnectionTests {
    @Test(.timeLimit(.minutes(1))) func aServerThatNeverAnswersTimesOut() async throws {
        let (fd, port) = try LoopbackSocket.bound(listening: true)
        defer { close(fd) }

        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await CurlTransport().send(HTTPRequest(url: "http://127.0.0.1:\(port)/v1.0/users", timeout: 1))
            Issue.record("a server that never answers gave a response")
        } catch let error as HTTPTransportError {
            #expect(error.retryable, "a timeout is worth another try later: \(error)")
            #expect(error.description == "no answer from 127.0.0.1:\(port) within 1 s (timed out): check the network, the proxy (HTTPS_PROXY) and the endpoint's URL",
                    "\(error)")
        }
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(5), "ended after \(elapsed), not at the 1 s timeout")
    }
}
