import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncRun
import GalsyncJSON
@testable import GraphSimulator
import SyncStore
import Testing

/// `[contact] photos` end to end: each user's photo downloaded once and put on every contact
/// of theirs; nothing uploaded again while it is unchanged; a changed photo downloaded once and
/// uploaded once per mailbox; a removed photo takes the contacts with it (made again without
/// one); a failed photo write fails no mailbox and is written the next cycle.
@Suite struct PhotoTests {
    /// Every managed contact: (mailbox, user, contact id, photo bytes).
    static func contacts(_ h: SyncHarness) async -> [(owner: String, user: String, id: String, photo: Data?)] {
        var out: [(String, String, String, Data?)] = []
        for owner in await h.expectedTargets() {
            for c in (await h.sim.mailboxState(owner))["contacts"]?.arrayValue ?? [] {
                guard let user = c["extendedProperties"]?[SyncHarness.tag]?.stringValue, let id = c["id"]?.stringValue else { continue }
                out.append((owner, user, id, await h.sim.contactPhoto(mailbox: owner, contactId: id)))
            }
        }
        return out
    }

    /// The bytes galsync should copy for `user` at 240x240 (their largest size when smaller).
    static func expected(_ h: SyncHarness, _ user: String) async -> Data? {
        guard let photo = await h.sim.user(user)?.photo else { return nil }
        let size = photo.available.filter { $0 <= 240 }.max() == 240 ? 240 : (photo.available.max() ?? photo.original)
        return photo.jpeg(user: user, size: size)
    }

    static func counter(_ h: SyncHarness, _ name: String) async -> Int { Int((await h.counters())[name]?.numberValue ?? -1) }

    @Test func eachPhotoIsDownloadedOnceAndPutOnEveryContactThenNothingMore() async throws {
        try await SyncHarness.with(users: 16) { h in
            h.config.contact.photos = true
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.created > 0, "\(first.text)")
            let all = await Self.contacts(h)
            var withPhoto = Set<String>()
            for c in all {
                let want = await Self.expected(h, c.user)
                #expect(c.photo == want, "\(c.user)'s contact in \(c.owner)")
                if want != nil { withPhoto.insert(c.user) }
            }
            #expect(!withPhoto.isEmpty && withPhoto.count < Set(all.map(\.user)).count, "the seed gives some users a photo and not others")
            #expect(await Self.counter(h, "photoDownloads") == withPhoto.count, "one download per user, not per mailbox")
            let uploads = all.filter { $0.photo != nil }.count
            #expect(await Self.counter(h, "photoUploads") == uploads)
            #expect(first.photos?.written == uploads && first.photos?.downloaded == withPhoto.count, "\(first.text)")
            let shown = try #require(all.first { $0.photo != nil && $0.user != $0.owner })
            let why = try WhyReport(user: shown.user, mailbox: shown.owner, config: h.config, store: StateStore(path: h.statePath, readOnly: true))
            #expect(why.text.contains("photo: the contact carries their current photo"), "\(why.text)")

            // Nothing changed: no photo is read or written, and the cycle costs what it cost without photos.
            await h.sim.resetCounters()
            let idle = try await h.sync()
            #expect(idle.photos?.written == 0 && idle.photos?.checked == 0, "\(idle.text)")
            #expect(await Self.counter(h, "photoDownloads") == 0)
            #expect(await Self.counter(h, "photoUploads") == 0)
            h.config.contact.photos = false
            await h.sim.resetCounters()
            let off = try await h.sync()
            #expect(idle.requests == off.requests, "idle with photos \(idle.requests) requests, without \(off.requests)")

            // A reconcile checks every photo again and uploads nothing unchanged.
            h.config.contact.photos = true
            await h.sim.resetCounters()
            let reconcile = try await h.sync { $0.forceReconcile = true }
            #expect(reconcile.photos?.checked == Set(all.map(\.user)).count && reconcile.photos?.written == 0, "\(reconcile.text)")
            #expect(await Self.counter(h, "photoDownloads") == 0)
            #expect(await Self.counter(h, "photoUploads") == 0)
        }
    }

    @Test func aChangedPhotoIsDownloadedOnceAndUploadedOncePerMailbox() async throws {
        try await SyncHarness.with(users: 16) { h in
            h.config.contact.photos = true
            #expect(try await h.sync().exitStatus == .ok)
            let user = try #require(await Self.contacts(h).first { $0.photo != nil }?.user)
            try await h.sim.setUserPhoto(user, original: 432)
            await h.sim.resetCounters()
            // The delta does not report photo changes: the next full reconcile finds it.
            let quiet = try await h.sync()
            #expect(quiet.photos?.written == 0)
            let changed = try await h.sync { $0.forceReconcile = true }
            let copies = await Self.contacts(h).filter { $0.user == user }
            #expect(changed.exitStatus == .ok && changed.photos?.written == copies.count && changed.photos?.downloaded == 1, "\(changed.text)")
            #expect(await Self.counter(h, "photoDownloads") == 1)
            #expect(await Self.counter(h, "photoUploads") == copies.count)
            let want = await Self.expected(h, user)
            #expect(copies.allSatisfy { $0.photo == want })
            // A change the delta reports (a new title) checks that user's photo at once.
            try await h.sim.setUserPhoto(user, original: 648)
            try await h.sim.updateUser(user, ["jobTitle": "Head of Portraits"])
            await h.sim.resetCounters()
            let next = try await h.sync()
            #expect(next.photos?.checked == 1 && next.photos?.written == copies.count, "\(next.text)")
        }
    }

    @Test func aRemovedPhotoMakesItsContactsAgainWithoutOne() async throws {
        try await SyncHarness.with(users: 16) { h in
            h.config.contact.photos = true
            #expect(try await h.sync().exitStatus == .ok)
            let before = await Self.contacts(h)
            let user = try #require(before.first { $0.photo != nil }?.user)
            let old = before.filter { $0.user == user }
            try await h.sim.removeUserPhoto(user)
            let removed = try await h.sync { $0.forceReconcile = true }
            #expect(removed.exitStatus == .ok && removed.photos?.recreated == old.count, "\(removed.text)")
            #expect(removed.deleted == 0 && removed.created == 0, "made again, not counted as the plan's deletes and creates")
            let after = await Self.contacts(h).filter { $0.user == user }
            #expect(after.count == old.count, "one contact per mailbox, no duplicate")
            #expect(after.allSatisfy { $0.photo == nil } && Set(after.map(\.id)).isDisjoint(with: old.map(\.id)))
            // Then nothing more: the new contacts are managed like any other.
            let idle = try await h.sync { $0.forceReconcile = true }
            #expect(idle.photos?.recreated == 0 && idle.created + idle.updated + idle.deleted == 0, "\(idle.text)")
        }
    }

    @Test func aFailedPhotoWriteFailsNoMailboxAndIsWrittenNextCycle() async throws {
        try await SyncHarness.with(users: 12) { h in
            h.config.contact.photos = true
            for _ in 0..<3 {
                await h.sim.queueResponse(route: "PUT /users/{id}/contacts/{id}/photo/$value", status: 403,
                                          body: Data(#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}"#.utf8))
            }
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.mailboxesFailed == 0, "\(first.text)")
            #expect(first.photos?.failed == 3, "\(first.text)")
            let missing = await Self.contacts(h).filter { $0.photo == nil }.count
            // status names what is left to write, from the state alone.
            let status = try StatusReport(config: h.config, store: StateStore(path: h.statePath, readOnly: true), running: nil, width: 1000)
            #expect(status.text.contains("photos: 3 photo writes left by the last cycle"), "\(status.text)")
            #expect(status.json["photos"]?["pending"] == 3)
            let plan = try await h.sync { $0.planOnly = true }
            #expect(plan.photos?.written == 3 && plan.photos?.toCheck == 0, "\(plan.text)")
            #expect(plan.text.contains("photos: would put 3 on contacts"), "\(plan.text)")
            let next = try await h.sync()
            #expect(next.photos?.written == 3 && next.photos?.failed == 0, "\(next.text)")
            #expect(await Self.contacts(h).filter { $0.photo == nil }.count == missing - 3)
        }
    }
}

/// A photo Exchange refuses outright (400, 413) is not sent again until it changes.
@Suite struct RefusedPhotoTests {
    @Test func aRefusedPhotoIsNotSentAgainUntilItChanges() async throws {
        try await SyncHarness.with(users: 12) { h in
            h.config.contact.photos = true
            await h.sim.queueResponse(route: "PUT /users/{id}/contacts/{id}/photo/$value", status: 400,
                                      body: Data(#"{"error":{"code":"ErrorInvalidImage","message":"The image is not valid."}}"#.utf8))
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.photos?.failed == 1, "\(first.text)")
            var missing: (owner: String, user: String, id: String, photo: Data?)?
            for c in await PhotoTests.contacts(h) where c.photo == nil && c.user != c.owner {
                if await PhotoTests.expected(h, c.user) != nil { missing = c }
            }
            let refused = try #require(missing)
            await h.sim.resetCounters()
            let again = try await h.sync { $0.forceReconcile = true }
            #expect(again.photos?.written == 0 && again.photos?.failed == 0 && again.photos?.recreated == 0, "\(again.text)")
            #expect(await PhotoTests.counter(h, "photoUploads") == 0)
            let why = try WhyReport(user: refused.user, mailbox: refused.owner, config: h.config, store: StateStore(path: h.statePath, readOnly: true))
            #expect(why.text.contains("Exchange refused their photo"), "\(why.text)")
            // A new photo is sent.
            try await h.sim.setUserPhoto(refused.user, original: 360)
            let changed = try await h.sync { $0.forceReconcile = true }
            let want = await PhotoTests.expected(h, refused.user)
            #expect(await h.sim.contactPhoto(mailbox: refused.owner, contactId: refused.id) == want, "\(changed.text)")
        }
    }
}

/// Photos never cost the contacts: a photo read that fails skips photos for the cycle, and a
/// burst of "no photo" answers does not make every contact again.
@Suite struct PhotoFaultTests {
    @Test func aFailedPhotoReadSkipsPhotosAndTheContactsAreWritten() async throws {
        try await SyncHarness.with(users: 12) { h in
            h.config.contact.photos = true
            // The photo cache cannot be made (a file where its folder goes): the downloads fail.
            let folder = ((h.statePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("photos")
            #expect(FileManager.default.createFile(atPath: folder, contents: Data("not a folder".utf8)))
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.created > 0 && first.mailboxesFailed == 0, "\(first.text)")
            #expect(first.photos?.written == 0 && (first.photos?.unchecked ?? 0) > 0, "\(first.text)")
            await h.expectExact()
            // Nothing was recorded of them: the next cycle checks and writes.
            try FileManager.default.removeItem(atPath: folder)
            let next = try await h.sync()
            #expect((next.photos?.written ?? 0) > 0 && next.photos?.unchecked == 0, "\(next.text)")
        }
    }

    @Test func aUserWhoseCheckFailsIsNotAskedAgainEveryCycle() async throws {
        try await SyncHarness.with(users: 12) { h in
            h.config.contact.photos = true
            await h.sim.queueResponse(route: "GET /users/{id}/photo", status: 403,
                                      body: Data(#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}"#.utf8))
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.photos?.unchecked == 1, "\(first.text)")
            await h.sim.resetCounters()
            let idle = try await h.sync()
            #expect(idle.photos?.checked == 0 && idle.photos?.unchecked == 0 && idle.requests <= 2, "\(idle.text)")
        }
    }

    @Test func manyRemovedPhotosAtOnceAreNotMadeAgainWithoutLeave() async throws {
        try await SyncHarness.with(users: 16) { h in
            h.config.contact.photos = true
            #expect(try await h.sync().exitStatus == .ok)
            let users = Set(await PhotoTests.contacts(h).filter { $0.photo != nil }.map(\.user))
            for u in users { try await h.sim.removeUserPhoto(u) }
            let carrying = await PhotoTests.contacts(h).filter { $0.photo != nil }.count
            let refused = try await h.sync { $0.forceReconcile = true }
            #expect(refused.photos?.recreated == 0 && refused.warnings.contains { $0.contains("max_deletes_percent") }, "\(refused.text)")
            #expect(await PhotoTests.contacts(h).filter { $0.photo != nil }.count == carrying, "nothing made again")
            let allowed = try await h.sync { $0.forceReconcile = true; $0.allowMassDelete = true }
            #expect((allowed.photos?.recreated ?? 0) > 10 && allowed.exitStatus == .ok, "\(allowed.text)")
            #expect(await PhotoTests.contacts(h).allSatisfy { $0.photo == nil })
            await h.expectExact()
        }
    }
}

/// At a full reconcile, the photos galsync put on contacts are checked: one the owner removed
/// or replaced is put back (overwrite) or left to them (`photo = { policy = "keep_edits" }`).
@Suite struct OwnersPhotoTests {
    static func setUp(_ h: SyncHarness) async throws -> (owner: String, user: String, contactId: String, other: String, otherId: String) {
        #expect(try await h.sync().exitStatus == .ok)
        // A first reconcile sees the ETags of the photos galsync put there.
        let seen = try await h.sync { $0.forceReconcile = true }
        #expect(seen.photos?.checkedOnContacts ?? 0 > 0 && seen.photos?.putBack == 0, "\(seen.text)")
        let all = await PhotoTests.contacts(h).filter { $0.photo != nil && $0.user != $0.owner }
        let a = try #require(all.first), b = try #require(all.first { $0.user == a.user && $0.owner != a.owner })
        return (a.owner, a.user, a.id, b.owner, b.id)
    }

    @Test func anOwnersChangeIsPutBackAtTheNextReconcile() async throws {
        try await SyncHarness.with(users: 16) { h in
            h.config.contact.photos = true
            let s = try await Self.setUp(h)
            try await h.sim.ownerSetsContactPhoto(mailbox: s.owner, contactId: s.contactId, data: Data("the owner's own picture".utf8))
            try await h.sim.ownerSetsContactPhoto(mailbox: s.other, contactId: s.otherId, data: nil)
            let quiet = try await h.sync()
            #expect(quiet.photos?.written == 0, "found at a full reconcile, not before")
            let repaired = try await h.sync { $0.forceReconcile = true }
            #expect(repaired.photos?.putBack == 2 && repaired.photos?.written == 2, "\(repaired.text)")
            let want = await PhotoTests.expected(h, s.user)
            #expect(await h.sim.contactPhoto(mailbox: s.owner, contactId: s.contactId) == want)
            #expect(await h.sim.contactPhoto(mailbox: s.other, contactId: s.otherId) == want)
            let again = try await h.sync { $0.forceReconcile = true }
            #expect(again.photos?.putBack == 0 && again.photos?.written == 0, "\(again.text)")
        }
    }

    @Test func withKeepEditsAnOwnersPhotoStaysThroughChangesAndRemovals() async throws {
        try await SyncHarness.with(users: 16) { h in
            h.config.contact.photos = true
            h.config.contact.photoPolicy = .keepEdits
            let s = try await Self.setUp(h)
            let mine = Data("the owner's own picture".utf8)
            try await h.sim.ownerSetsContactPhoto(mailbox: s.owner, contactId: s.contactId, data: mine)
            let kept = try await h.sync { $0.forceReconcile = true }
            #expect(kept.photos?.leftToOwners == 1 && kept.photos?.written == 0, "\(kept.text)")
            #expect(await h.sim.contactPhoto(mailbox: s.owner, contactId: s.contactId) == mine)
            let why = try WhyReport(user: s.user, mailbox: s.owner, config: h.config, store: StateStore(path: h.statePath, readOnly: true))
            #expect(why.text.contains("the owner put their own photo on this contact"), "\(why.text)")

            // The user's new photo reaches every contact but the owner's…
            try await h.sim.setUserPhoto(s.user, original: 504)
            let changed = try await h.sync { $0.forceReconcile = true }
            let copies = await PhotoTests.contacts(h).filter { $0.user == s.user }
            #expect(changed.photos?.written == copies.count - 1, "\(changed.text)")
            #expect(await h.sim.contactPhoto(mailbox: s.owner, contactId: s.contactId) == mine)
            // …and removing it makes the others again, not the owner's.
            try await h.sim.removeUserPhoto(s.user)
            let removed = try await h.sync { $0.forceReconcile = true }
            #expect(removed.photos?.recreated == copies.count - 1, "\(removed.text)")
            #expect(await h.sim.contactPhoto(mailbox: s.owner, contactId: s.contactId) == mine)
        }
    }
}
