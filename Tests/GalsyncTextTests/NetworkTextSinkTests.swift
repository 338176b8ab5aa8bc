import Foundation
import GalsyncText
@testable import GraphClient
import Logging
@testable import SystemdSupport
import Testing

/// Both ends of "no server text reaches a terminal, the journal or sd_notify raw": the sinks
/// (STATUS=, console lines, journal fields) and the sources (Graph's and the token endpoint's
/// error text), each on its own, so that breaking either end fails a test here.
@Suite struct NetworkTextSinkTests {
    static let hostile = "Eve\u{1B}[2J\u{1B}]0;pwned\u{07}\nWATCHDOG_USEC=1\r\nFAKE"

    static func event(_ message: String, metadata: Logger.Metadata = [:]) -> LogEvent {
        LogEvent(level: .warning, message: "\(message)", metadata: metadata, source: nil, file: "f.swift", function: "f()", line: 1)
    }

    @Test func statusIsOneAssignmentWithoutControls() {
        let state = ServiceNotifier.statusAssignment("cycle 1 failed: token request refused (AADSTS7000215: bad\nWATCHDOG_USEC=1)")
        #expect(state == "STATUS=cycle 1 failed: token request refused (AADSTS7000215: bad WATCHDOG_USEC=1)")
        #expect(!SafeTextTests.hasControl(ServiceNotifier.statusAssignment(Self.hostile)))
    }

    @Test func consoleLinesAreOneLineWithoutControls() {
        for terminal in [true, false] {
            let line = ConsoleLogHandler(terminal: terminal).line(for: Self.event(Self.hostile, metadata: ["mailbox": "\(Self.hostile)"]), time: Date())
            #expect(line.hasSuffix("\n") && line.filter { $0 == "\n" }.count == 1, "\(line)")
            #expect(!SafeTextTests.hasControl(String(line.dropLast())), "\(line)")
            #expect(line.contains("Eve\u{FFFD}[2J"), "the text stays readable")
        }
    }

    @Test func journalFieldsHoldNoControls() {
        let fields = JournalLogHandler().fields(for: Self.event(Self.hostile, metadata: ["mailbox": "\(Self.hostile)"]))
        #expect(fields.contains { $0.hasPrefix("MESSAGE=Eve\u{FFFD}[2J") })
        #expect(fields.contains { $0.hasPrefix("GALSYNC_MAILBOX=Eve") })
        for field in fields { #expect(!SafeTextTests.hasControl(field), "\(field)") }
    }

    @Test func graphErrorsCarryCleanText() {
        let body = #"{"error":{"code":"ErrorAccessDenied\u001b[31m","message":"Access is denied.\u001b]0;x\u0007\nWATCHDOG_USEC=1","innerError":{"request-id":"r\nX=1"}}}"#
        let error = GraphError.from(GraphResponse(status: 403, headers: [:], body: Data(body.utf8)), method: "GET", path: "/users/a\nb", clientRequestId: "c")
        #expect(error.message == "Access is denied.\u{FFFD}]0;x\u{FFFD} WATCHDOG_USEC=1")
        #expect(error.code == "ErrorAccessDenied\u{FFFD}[31m")
        #expect(!SafeTextTests.hasControl(error.description), "\(error.description)")
    }

    @Test func tokenEndpointErrorsCarryCleanText() {
        let body = #"{"error":"invalid_client","error_description":"AADSTS7000215: bad\u001b[2J\nWATCHDOG_USEC=1\r\nTrace ID: t","error_codes":[7000215]}"#
        let context = IdentityError.Context(tenant: "t", clientId: "c", loginHost: "login", sha1Thumbprint: "", sha256Thumbprint: "", certificateNotAfter: Date())
        let error = IdentityError.from(status: 401, body: Data(body.utf8), retryAfter: nil, context: context)
        #expect(error.message.contains("(AADSTS7000215: bad\u{FFFD}[2J WATCHDOG_USEC=1)"), "\(error.message)")
        #expect(!SafeTextTests.hasControl(error.message))
        let skew = #"{"error":"invalid_client","error_description":"AADSTS700024: x","error_codes":[700024],"timestamp":"2025\nWATCHDOG_USEC=1"}"#
        #expect(!SafeTextTests.hasControl(IdentityError.from(status: 400, body: Data(skew.utf8), retryAfter: nil, context: context).message))
    }
}
