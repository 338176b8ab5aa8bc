import Foundation
import GRDB
@testable import SyncStore
import Testing

/// The photo state: what each contact still needs is worked out from the state alone, by
/// contact id (a contact made again carries nothing), and an owner's own photo is left alone.
@Suite struct PhotoStateTests {
    static func store(_ contacts: [(owner: String, user: String, id: String)]) throws -> StateStore {
        let store = try StateStore()
        for c in contacts {
            var r = StateStore.BatchResult()
            r.written = [(StateStore.ManagedContact(userId: c.user, contactId: c.id, hash: "h"), "{}", nil)]
            try store.record(owner: c.owner, r)
        }
        return store
    }

    @Test func eachContactNeedsItsUsersPhotoUntilConfirmedAndNothingAfter() throws {
        let store = try Self.store([("m1", "a", "c1"), ("m1", "b", "c2"), ("m2", "a", "c3"), ("m2", "z", "c4")])
        let photos = ["a": "sha-a", "b": "", "c": "sha-c"]  // z not known yet: no work
        let work = try store.contactPhotoWork(photos: photos)
        #expect(work == [.init(owner: "m1", userId: "a", contactId: "c1", sha256: "sha-a"), .init(owner: "m2", userId: "a", contactId: "c3", sha256: "sha-a")])
        try store.recordContactPhotos(work)
        #expect(try store.contactPhotoWork(photos: photos).isEmpty)
        // A new photo: both again. The user's photo removed: both contacts are to be made again.
        #expect(try store.contactPhotoWork(photos: ["a": "sha-a2"]).map(\.contactId) == ["c1", "c3"])
        #expect(try store.contactPhotoWork(photos: ["a": ""]).map(\.sha256) == ["", ""])
        // Made again under a new id: carries nothing, so the photo goes on it.
        var r = StateStore.BatchResult()
        r.written = [(StateStore.ManagedContact(userId: "a", contactId: "c9", hash: "h"), "{}", nil)]
        try store.record(owner: "m1", r)
        #expect(try store.contactPhotoWork(photos: photos) == [.init(owner: "m1", userId: "a", contactId: "c9", sha256: "sha-a")])
        #expect(try store.contactPhoto(owner: "m1", userId: "a") == nil)
        let rows = { try store.db.read { try String.fetchAll($0, sql: "SELECT contact_id FROM contact_photo ORDER BY contact_id") } }
        #expect(try rows() == ["c1", "c3"])
        try store.pruneContactPhotos()
        #expect(try rows() == ["c3"], "the old contact's row is gone")
    }

    @Test func aSliceTakesSoManyOfEachMailboxAndLeavesOutWhatItSkips() throws {
        let store = try Self.store([("m1", "a", "c1"), ("m1", "b", "c2"), ("m1", "c", "c3"), ("m2", "a", "c4"), ("m2", "b", "c5"), ("m3", "a", "c6")])
        let photos = ["a": "sa", "b": "sb", "c": "sc"]
        #expect(try store.contactPhotoWork(photos: photos, perOwner: 2).map(\.contactId) == ["c1", "c2", "c4", "c5", "c6"])
        #expect(try store.contactPhotoWork(photos: photos, perOwner: 1, skipping: ["m2", "m1/a"]).map(\.contactId) == ["c2", "c6"])
        // What is written is not in the next slice: slices go on until the work is done.
        try store.recordContactPhotos(try store.contactPhotoWork(photos: photos, perOwner: 2))
        #expect(try store.contactPhotoWork(photos: photos, perOwner: 2).map(\.contactId) == ["c3"])
    }

    @Test func anOwnersPhotoIsLeftAloneAndAPutBackOneIsWrittenAgain() throws {
        let store = try Self.store([("m1", "a", "c1"), ("m2", "a", "c2")])
        try store.recordContactPhotos([.init(owner: "m1", userId: "a", contactId: "c1", sha256: "s"), .init(owner: "m2", userId: "a", contactId: "c2", sha256: "s")])
        let placed = try store.placedPhotos()
        #expect(placed.allSatisfy { $0.etag == nil })
        var seen = placed
        for i in seen.indices { seen[i].etag = "e\(i)" }
        try store.settlePlacedPhotos(seen: seen, putBack: [], ownersNow: [])
        #expect(try store.placedPhotos().map(\.etag) == ["e0", "e1"])
        try store.settlePlacedPhotos(seen: [], putBack: [seen[1]], ownersNow: [seen[0]])
        #expect(try store.placedPhotos().isEmpty)
        #expect(try store.contactPhoto(owner: "m1", userId: "a") == "owner")
        #expect(try store.contactPhotoWork(photos: ["a": "s"]) == [.init(owner: "m2", userId: "a", contactId: "c2", sha256: "s")])
        #expect(try store.contactPhotoWork(photos: ["a": ""]).isEmpty, "nothing to make again: m2 carries none of galsync's now, m1's is the owner's")
    }
}
