import Foundation
import GalsyncConfig
@testable import GalsyncRun
import SyncStore
import Testing

/// `galsync status` with `[[list]]`: a line per named list from its own state, its failing
/// mailboxes named, and health that counts them.
@Suite struct ListStatusTests {
    @Test func aNamedListHasItsLineAndItsFailingMailboxesCountInHealth() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-liststatus-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = try StatusTextTests.config()
        config.sync.state = dir + "/state.db"
        config.lists = [ContactList(name: "directory", folder: config.sync.folder, mailboxes: config.mailboxes),
                        ContactList(name: "vendors", folder: "Vendors", source: .mailbox(mailbox: "contacts@contoso.com", folder: "Vendors"), mailboxes: config.mailboxes),
                        ContactList(name: "execs", folder: "Executives", mailboxes: config.mailboxes)]
        let home = try StateStore(path: config.sync.state)
        try home.applyDirectory(upserts: [("m1", #"{"id":"m1","userPrincipalName":"alice@contoso.com","displayName":"Alice"}"#)],
                                removals: [], deltaLink: "L", select: "s", replaceAll: true)
        let vendors = try StateStore(path: config.statePath(of: config.lists[1]))
        try vendors.setMailbox("m1", state: "failed", reason: "ErrorAccessDenied: Access is denied.")
        try vendors.setMailbox("m2", state: "ok")

        let report = try StatusReport(config: config, store: try StateStore(path: config.sync.state, readOnly: true), running: nil, width: 400)
        let lines = report.text.split(separator: "\n").map(String.init)
        #expect(lines.contains("list vendors (folder 'Vendors', from contacts@contoso.com's folder 'Vendors'): 1 failed, 1 ok; 0 managed contacts"), "\(report.text)")
        #expect(lines.contains("  alice@contoso.com: failed: ErrorAccessDenied: Access is denied."), "\(report.text)")
        #expect(lines.contains("list execs (folder 'Executives', from the directory): nothing written yet"), "\(report.text)")
        #expect(!lines.contains { $0.hasPrefix("list directory") }, "the home list is the report itself")
        #expect(report.health.line.contains("alice@contoso.com (list vendors)"), "\(report.health.line)")
        #expect(report.json["lists"]?.arrayValue?.count == 2)
    }
}
