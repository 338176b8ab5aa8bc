import Foundation
import GalsyncConfig
@testable import GalsyncCore
@testable import GalsyncPlan
import GraphSimulator
import SyncStore
import Testing

/// Odd and hostile answers from "Graph": each is refused or sanitised with a clear error,
/// nothing crashes, and the snapshot is not corrupted.
@Suite struct HostileDataTests {
    func deltaLink(_ h: SyncHarness) throws -> String? { try StateStore(path: h.statePath).meta("delta_link") }

    @Test func linksAwayFromTheGraphHostAreNeverFollowedOrSaved() async throws {
        try await SyncHarness.with(users: 6) { h in
            try await h.sync()
            let saved = try deltaLink(h)
            await h.sim.queueResponse(route: "GET /users/delta", body: JSONValue.object(["value": [], "@odata.deltaLink": "https://evil.example.com/v1.0/users/delta?$deltatoken=x"]).encoded())
            let error = await #expect(throws: SyncError.self) { try await h.sync() }
            #expect("\(error!)".contains("evil.example.com"))
            #expect(try deltaLink(h) == saved)
            await h.sim.queueResponse(route: "GET /users/delta", body: JSONValue.object(["value": [], "@odata.nextLink": "http://169.254.169.254/latest"]).encoded())
            await #expect(throws: SyncError.self) { try await h.sync() }
            #expect(try deltaLink(h) == saved)
        }
    }

    @Test func nextLinkLoopsEnd() async throws {
        try await SyncHarness.with(users: 6) { h in
            let loop = "\(h.url)/v1.0/users/delta?$skiptoken=loop"
            for _ in 0..<3 { await h.sim.queueResponse(route: "GET /users/delta", body: JSONValue.object(["value": [], "@odata.nextLink": .string(loop)]).encoded()) }
            let error = await #expect(throws: SyncError.self) { try await h.sync() }
            #expect("\(error!)".contains("loop"))
        }
    }

    /// The delta read alone, as a plain GET (`honor_hidden` off): with the hidden-users read
    /// beside it, both go in one `$batch`, and a page that comes back unreadable inside the
    /// batch is asked for again alone (`batchedPagesTheBatchSpoilsAreReadAgainAlone`).
    @Test func malformedAndTruncatedPagesLeaveTheSnapshotAlone() async throws {
        try await SyncHarness.with(users: 6, { $0.directory.honorHidden = false }) { h in
            try await h.sync()
            let saved = try deltaLink(h)
            let users = try StateStore(path: h.statePath).directoryUsers()
            for raw in [#"{"value": [{"id": "x", "displayName": "Trunc"#, "not json at all", #"{"value": 42}"#] {
                await h.sim.queueResponse(route: "GET /users/delta", body: Data(raw.utf8))
                await #expect(throws: (any Error).self) { try await h.sync() }
                #expect(try deltaLink(h) == saved)
                #expect(try StateStore(path: h.statePath).directoryUsers() == users)
            }
            try await h.sync()
            await h.expectExact()
        }
    }

    /// In a `$batch` beside the hidden-users read, an unreadable delta page is asked for again
    /// alone; unreadable again, the cycle fails and nothing is saved.
    @Test func batchedPagesTheBatchSpoilsAreReadAgainAlone() async throws {
        try await SyncHarness.with(users: 6) { h in
            try await h.sync()
            let saved = try deltaLink(h)
            let users = try StateStore(path: h.statePath).directoryUsers()
            for _ in 0..<2 { await h.sim.queueResponse(route: "GET /users/delta", body: Data("not json at all".utf8)) }
            await #expect(throws: (any Error).self) { try await h.sync() }
            #expect(try deltaLink(h) == saved)
            #expect(try StateStore(path: h.statePath).directoryUsers() == users)
            await h.sim.queueResponse(route: "GET /users/delta", body: Data("not json at all".utf8))
            try await h.sync()  // spoiled once in the batch, read alone: the cycle goes on
            await h.expectExact()
        }
    }

    @Test func wrongTypesMissingIdsAndDuplicatesAreTolerated() async throws {
        try await SyncHarness.with(users: 6) { h in
            let page: JSONValue = ["value": [
                ["displayName": "No id at all", "mail": "noid@contoso.com"],
                ["id": "aaaaaaaa-0000-4000-8000-000000000001", "displayName": 42, "mail": "typed@contoso.com", "businessPhones": "not a list", "accountEnabled": true],
                ["id": "aaaaaaaa-0000-4000-8000-000000000001", "displayName": "Twice", "mail": "typed@contoso.com", "accountEnabled": true],
            ], "@odata.deltaLink": .string("\(h.url)/v1.0/users/delta?$deltatoken=latest")]
            await h.sim.queueResponse(route: "GET /users/delta", body: page.encoded())
            _ = try await h.sync()  // the made-up user has no mailbox: that mailbox fails, nothing else
            let users = try StateStore(path: h.statePath).directoryUsers()
            #expect(users.count == 1)
            #expect(users.values.first?.contains("Twice") == true)
        }
    }

    @Test func aFolderNameWithQuotesIsEscapedAndFoundAgainAfterStateLoss() async throws {
        try await SyncHarness.with({ $0.sync.folder = "O'Brien's contacts" }) { h in
            try await h.sync()
            await h.expectExact()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: h.statePath + suffix) }
            let s = try await h.sync()
            #expect(s.created == 0, "adopted, not made again")
            await h.expectExact()
        }
    }

    @Test func hugeAndOddDirectoryValuesAreSanitised() async throws {
        try await SyncHarness.with(users: 6) { h in
            let id = await h.expectedSources()[0]["id"]!.stringValue!
            let huge = String(repeating: "A", count: 1_000_000)
            let phones = JSONValue.array((0..<10_000).map { .string("+1 555 \($0)") })
            try await h.sim.updateUser(id, ["displayName": .string(huge), "businessPhones": phones, "jobTitle": "Boss\u{0007}\u{0000}", "surname": "\u{200F}سميث"])
            let s = try await h.sync()
            #expect(s.mailboxesFailed == 0, "\(s.problems)")
            let owner = await h.expectedTargets().first { $0 != id }!
            let contact = try #require(await h.sim.mailboxState(owner)["contacts"]?.arrayValue?.first { $0["extendedProperties"]?[SyncHarness.tag]?.stringValue == id })
            #expect(contact["displayName"]?.stringValue?.count == 255)
            #expect(contact["businessPhones"]?.arrayValue?.count == 2)
            #expect(contact["jobTitle"] == "Boss")
            #expect(contact["surname"] == "\u{200F}سميث", "direction marks stay")
        }
    }
}
