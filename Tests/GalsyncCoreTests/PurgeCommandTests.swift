import Foundation
@testable import GalsyncCore
import GalsyncJSON
import GraphSimulator
import SyncStore
import Testing

/// `galsync purge` says what it is about to delete, by name, warns when the configuration still
/// targets those mailboxes, and finds the mailbox of a leaver who came back.
@Suite(.serialized) struct PurgeCommandTests {
    static func galsyncContacts(_ h: SyncHarness, _ owner: String) async -> Int {
        await h.sim.mailboxState(owner)["contacts"]?.arrayValue?.filter { $0["extendedProperties"]?.objectValue?.isEmpty == false }.count ?? 0
    }

    @Test func aRestoredLeaversMailboxIsPurgedAndThePreviewNamesEverything() async throws {
        try await SyncHarness.with(users: 12) { h in
            var h = h
            let config = try StateStartupTests.configure(&h, state: h.statePath)
            let binary = CrashRecoveryTests.binary
            #expect(try await CapturedRun.run(binary, ["sync", "--config", config]).status == 0)
            let leaver = try #require(await h.expectedTargets().first)
            let upn = try #require(await h.sim.user(leaver)?.userPrincipalName)
            let held = await Self.galsyncContacts(h, leaver)
            #expect(held > 0)

            // The owner leaves: galsync forgets the mailbox but remembers it as departed.
            try await h.sim.deleteUser(leaver)
            #expect(try await CapturedRun.run(binary, ["sync", "--config", config]).status == 0)
            #expect(try StateStore(path: h.statePath).departedMailboxes()[leaver]?.contacts == held)

            // While the owner is deleted: named in the preview, skipped, remembered.
            var purge = try await CapturedRun.run(binary, ["purge", "--all", "--yes", "--config", config])
            #expect(purge.stdout.hasPrefix("galsync's contacts in "), "\(purge.stdout)")
            #expect(purge.stdout.contains("  \(upn): \(held) contacts (the owner left the directory; reached only if restored)"), "\(purge.stdout)")
            #expect(purge.stdout.contains("warning: ") && purge.stdout.contains("are still targets in the configuration"), "mailboxes.all = true: \(purge.stdout)")
            #expect(purge.stdout.contains("\(upn): skipped: the owner is not in the directory"), "\(purge.stdout)")
            #expect(try StateStore(path: h.statePath).departedMailboxes()[leaver] != nil)

            // Restored: the next purge --all finds the mailbox and empties it of galsync's contacts.
            try await h.sim.restoreUser(leaver)
            purge = try await CapturedRun.run(binary, ["purge", "--all", "--yes", "--config", config])
            #expect(purge.status == 0, "\(purge)")
            #expect(await Self.galsyncContacts(h, leaver) == 0, "the restored leaver's mailbox still holds galsync's contacts")
            #expect(try StateStore(path: h.statePath).departedMailboxes().isEmpty)
        }
    }
}
