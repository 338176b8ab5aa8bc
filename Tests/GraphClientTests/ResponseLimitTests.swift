import Foundation
import GraphClient
@testable import GraphHTTP
import Testing

/// A response's body is capped once decoded: a few hundred KB of gzip that would inflate to
/// hundreds of MB is stopped at the cap with a clear error, and memory stays bounded.
@Suite(.serialized) struct ResponseLimitTests {
    /// Peak resident memory of this process so far, in bytes.
    static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    @Test(.timeLimit(.minutes(1))) func aGzipBombIsStoppedAtTheCap() async throws {
        let server = try LocalPythonServer()
        defer { server.stop() }
        let before = Self.peakRSS()
        do {
            let r = try await CurlTransport().send(HTTPRequest(url: "\(server.url)/gzip?mib=256", timeout: 30))
            Issue.record("a 256 MiB decoded answer was accepted: \(r.body.count) bytes")
        } catch let error as HTTPTransportError {
            #expect(error.kind == .responseTooLarge, "\(error)")
            #expect(error.description.contains("16 MiB"), "the message names the cap: \(error)")
            #expect(!error.retryable, "the same answer would come again at once")
            #expect(error.isTransient, "the server's fault, not the configuration's: exit 75")
        }
        let grown = Self.peakRSS() - before
        #expect(grown < 96 << 20, "peak memory grew by \(grown >> 20) MiB reading a capped answer")
    }

    @Test func anAnswerUnderTheCapIsKept() async throws {
        let server = try LocalPythonServer()
        defer { server.stop() }
        let r = try await CurlTransport(maxResponseBytes: 3 << 20).send(HTTPRequest(url: "\(server.url)/gzip?mib=2"))
        #expect(r.status == 200 && r.body.count == 2 << 20 && r.body.allSatisfy { $0 == 0 })
        await #expect(throws: HTTPTransportError.self) {
            try await CurlTransport(maxResponseBytes: 3 << 20).send(HTTPRequest(url: "\(server.url)/gzip?mib=4"))
        }
    }

    @Test func theDefaultCapIs16MiB() {
        #expect(CurlTransport().maxResponseBytes == 16 << 20)
    }

    /// `..` and `.` escaped as segments reach the server as they are: libcurl does not resolve
    /// them to the parent, so a user id of `..` cannot turn `/users/{id}/contacts` into `/contacts`.
    @Test(arguments: ["..", "."]) func aDotSegmentReachesTheServerEscaped(_ value: String) async throws {
        let server = try LocalPythonServer()
        defer { server.stop() }
        let path = "/v1.0/users/\(GraphPath.segment(value))/contacts"
        let r = try await CurlTransport().send(HTTPRequest(url: server.url + path))
        #expect(r.text == path, "the server saw \(r.text)")
        #expect(r.text.hasPrefix("/v1.0/users/%2E"), "\(r.text)")
    }

    @Test func dotSegmentsAreEscapedAndLoseNothing() {
        #expect(GraphPath.segment("..") == "%2E%2E")
        #expect(GraphPath.segment(".") == "%2E")
        #expect(GraphPath.segment("...") == "...", "three dots are an ordinary segment")
        #expect(GraphPath.segment("a..b") == "a..b")
        #expect(GraphPath.segment("..").removingPercentEncoding == "..")
    }
}
