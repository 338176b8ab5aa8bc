import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncJSON
import GraphSimulator
import SyncStore
import Testing

/// Owners' edits are found through each folder's contacts delta (`sync.drift_check`) and
/// repaired exactly, without listing the mailboxes; an expired delta falls back to a listing.
@Suite struct DriftCheckTests {
    static let listingRoute = "GET /users/{id}/contactFolders/{id}/contacts"

    /// Managed contacts of `owner` in the simulator: user id → contact.
    static func managed(_ h: SyncHarness, _ owner: String) async -> [String: JSONValue] {
        let box = await h.sim.mailboxState(owner)
        var out: [String: JSONValue] = [:]
        for c in box["contacts"]?.arrayValue ?? [] {
            if let user = c["extendedProperties"]?[SyncHarness.tag]?.stringValue { out[user] = c }
        }
        return out
    }

    static func listings(_ h: SyncHarness) async -> Int {
        Int(await h.counters()["requests"]?[listingRoute]?.objectValue?.values.reduce(0) { $0 + ($1.numberValue ?? 0) } ?? 0)
    }

    @Test func ownerEditsAndDeletionsAreRepairedWithoutAListing() async throws {
        try await SyncHarness.with(users: 24, { $0.sync.driftCheck = 0 }) { h in
            try await h.sync()                                  // creates everything
            let second = try await h.sync()                     // first delta round of every folder: no drift
            #expect(second.drift?.checked ?? 0 > 0 && second.drift?.edited == 0 && second.drift?.gone == 0, "\(String(describing: second.drift))")
            #expect(second.created + second.updated + second.deleted == 0)
            let owners = await h.expectedTargets().sorted()
            let a = owners[0], b = owners[1]
            let inA = await Self.managed(h, a), inB = await Self.managed(h, b)
            let edited = inA.sorted { $0.key < $1.key }[0], removed = inB.sorted { $0.key < $1.key }[1]
            try await h.sim.ownerEditsContact(mailbox: a, contactId: edited.value["id"]!.stringValue!, properties: ["jobTitle": "Chief Owner Edit", "mobilePhone": .null])
            try await h.sim.ownerDeletesContact(mailbox: b, contactId: removed.value["id"]!.stringValue!)
            await h.sim.resetCounters()
            let third = try await h.sync()
            #expect(third.drift?.edited == 1 && third.drift?.gone == 1 && third.drift?.listed == 0, "\(String(describing: third.drift))")
            #expect(third.updated == 1 && third.created == 1 && third.deleted == 0)
            #expect(await Self.listings(h) == 0, "repaired from the delta, not a listing")
            await h.expectExact()
            let fourth = try await h.sync()
            #expect(fourth.drift?.edited == 0 && fourth.drift?.gone == 0, "galsync's own repairs come back in the delta and match the state")
            #expect(fourth.created + fourth.updated + fourth.deleted == 0)
        }
    }

    @Test func anIdleCheckCostsOneRequestPerTwentyMailboxesAndNoneBetweenChecks() async throws {
        try await SyncHarness.with(users: 30, { $0.sync.driftCheck = 3600 }) { h in
            try await h.sync()
            try await h.sync()  // idle: the first cycle's full listing counts as a drift check
            let mailboxes = await h.expectedTargets().count
            await h.sim.resetCounters()
            let idle = try await h.sync()
            #expect(idle.drift == nil, "not due again within the hour")
            let between = idle.requests
            // Due again: the same idle cycle plus the check.
            let store = try StateStore(path: h.statePath)
            try store.setMeta("last_drift_check", String(Date().timeIntervalSince1970 - 3601))
            let checked = try await h.sync()
            #expect(checked.drift?.checked == mailboxes)
            #expect(checked.requests == between + (mailboxes + 19) / 20, "\(checked.requests) requests with the check, \(between) without, \(mailboxes) mailboxes")
            #expect(checked.created + checked.updated + checked.deleted == 0)
        }
    }

    @Test func anExpiredDeltaFallsBackToAListingAndANewLink() async throws {
        try await SyncHarness.with(users: 24, { $0.sync.driftCheck = 0 }) { h in
            try await h.sync()
            try await h.sync()
            let owner = await h.expectedTargets().sorted()[0]
            let contact = await Self.managed(h, owner).sorted { $0.key < $1.key }[0].value
            try await h.sim.ownerEditsContact(mailbox: owner, contactId: contact["id"]!.stringValue!, properties: ["jobTitle": "Edited while the link expired"])
            try await h.sim.expireContactDeltaTokens(mailbox: owner)
            await h.sim.resetCounters()
            let s = try await h.sync()
            #expect(s.drift?.listed == 1)
            #expect(await Self.listings(h) == 1, "the one mailbox is listed")
            #expect(s.updated == 1)
            await h.expectExact()
            let next = try await h.sync()
            #expect(next.drift?.listed == 0 && next.drift?.checked ?? 0 > 0, "a new first round gives the mailbox a link again")
            #expect(try StateStore(path: h.statePath).contactDeltaLinks()[owner] != nil)
        }
    }

    @Test func aContactGalsyncDoesNotKnowInItsFolderMakesTheMailboxBeListed() async throws {
        try await SyncHarness.with(users: 24, { $0.sync.driftCheck = 0 }) { h in
            try await h.sync()
            try await h.sync()
            let owner = await h.expectedTargets().sorted()[0]
            let folder = await h.sim.mailboxState(owner)["folders"]!.arrayValue!.first { $0["displayName"]?.stringValue == h.config.sync.folder }!["id"]!.stringValue!
            _ = try await h.sim.ownerCreatesContact(mailbox: owner, folderId: folder, properties: ["displayName": "Owner's own friend"])
            let s = try await h.sync()
            #expect(s.drift?.listed == 1)
            #expect(s.created + s.updated + s.deleted == 0, "the owner's own contact is left alone")
            await h.expectExact()
        }
    }
}
