import Foundation
import GalsyncConfig
@testable import GalsyncRun
import SyncStore
import Testing

/// `galsync status` at 2 a.m.: who runs, what the last cycle did, killed cycles said as such,
/// failing mailboxes by name and wrapped.
@Suite struct StatusTextTests {
    static func config() throws -> Configuration {
        try ConfigurationLoader.parse("""
            [tenant]
            id = "contoso.onmicrosoft.com"
            client_id = "11111111-2222-3333-4444-555555555555"
            certificate = "/nonexistent/galsync.crt"
            private_key = "/nonexistent/galsync.key"
            [mailboxes]
            all = true
            """, environment: [:])
    }

    static func store() throws -> StateStore {
        let store = try StateStore(inMemory: ())
        try store.applyDirectory(upserts: [("m1", #"{"id":"m1","userPrincipalName":"alice@contoso.com","displayName":"Alice"}"#)],
                                 removals: [], deltaLink: "L", select: "s", replaceAll: true)
        try store.setMailbox("m1", state: "failed", reason: String(repeating: "ErrorAccessDenied: Access is denied. ", count: 8))
        return store
    }

    @Test func aKilledCycleIsInterruptedAndAFailingMailboxIsNamedAndWrapped() throws {
        let store = try Self.store()
        _ = try store.startCycle()  // never finished: the process was killed
        let report = try StatusReport(config: Self.config(), store: store, running: nil, width: 60)
        #expect(report.text.contains("interrupted: the process ended without recording it"), "\(report.text)")
        #expect(report.text.hasPrefix("not running"), "\(report.text)")
        let mailboxLines = report.text.split(separator: "\n").drop { !$0.hasPrefix("  alice@contoso.com: failed: ErrorAccessDenied") }
        #expect(!mailboxLines.isEmpty, "\(report.text)")
        #expect(report.text.split(separator: "\n").allSatisfy { $0.count <= 100 }, "wrapped: \(report.text)")
        #expect(mailboxLines.dropFirst().first?.hasPrefix("      ") == true, "hanging indent: \(report.text)")
        #expect(report.json["failing"]?.arrayValue?.first?["upn"]?.stringValue == "alice@contoso.com")
        #expect(report.json["cycles"]?.arrayValue?.first?["outcome"]?.stringValue == "killed")
    }

    @Test func theSameCycleWhileTheServiceRunsIsRunning() throws {
        let store = try Self.store()
        _ = try store.startCycle()
        let report = try StatusReport(config: Self.config(), store: store, running: StateLockHolder(pid: 42, command: "galsync run"))
        #expect(report.text.hasPrefix("running: the galsync service (pid 42)\ncycle #1 running since "), "\(report.text)")
        #expect(report.json["running"]?["pid"]?.numberValue == 42)
    }
}
