import Foundation
import SyncStore
import Testing

@Suite struct StateStoreTests {
    func tempPath() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("galsync-store-\(UUID().uuidString)/state.db").path }

    @Test func createdPrivateAndMigrated() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try StateStore(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let dirMode = try FileManager.default.attributesOfItem(atPath: (path as NSString).deletingLastPathComponent)[.posixPermissions] as? NSNumber
        #expect(dirMode?.intValue == 0o700)
        #expect(try store.integrityCheck() == "ok")
        // Reopening runs no migration twice.
        _ = try StateStore(path: path)
    }

    @Test func theDeltaLinkIsSavedWithItsChangesOnly() throws {
        let store = try StateStore(inMemory: ())
        try store.applyDirectory(upserts: ["a": "{}", "b": "{}"], removals: [], deltaLink: "L1", select: "id", replaceAll: true)
        try store.applyDirectory(upserts: ["c": "{}"], removals: ["a"], deltaLink: "L2", select: "id", replaceAll: false)
        #expect(Set(try store.directoryUsers().keys) == ["b", "c"])
        #expect(try store.meta("delta_link") == "L2")
    }

    @Test func intentsMarkMailboxesUncertainUntilCommitted() throws {
        let store = try StateStore(inMemory: ())
        let i = try store.recordBatchIntents(owners: ["m"])["m"]!
        #expect(try store.ownersWithPendingIntents() == ["m"])
        var written = StateStore.BatchResult()
        written.written = [(.init(userId: "u", contactId: "c1", hash: "h"), "{}", nil)]
        written.clearedIntents = [i]
        try store.record(owner: "m", written)
        #expect(try store.ownersWithPendingIntents().isEmpty)
        #expect(try store.managedContacts("m")["u"]?.contactId == "c1")
        #expect(try store.projection("h") == "{}")
        var deleted = StateStore.BatchResult()
        deleted.deleted = [("u", "c1")]
        try store.record(owner: "m", deleted)
        try store.pruneProjections()
        #expect(try store.projection("h") == nil)
    }

    @Test func aSecondInstanceIsLockedOut() throws {
        let path = tempPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let lock = try StateLock(statePath: path)
        let error = #expect(throws: StateLock.Busy.self) { try StateLock(statePath: path) }
        #expect(error?.description.contains("pid \(getpid())") == true)
        withExtendedLifetime(lock) {}
    }

    /// A folder's contacts deltaLink goes when the mailbox's folder changes or is cleared (the
    /// old link would answer 404 for a healthy, remade folder); it stays otherwise.
    @Test func aNewFolderDropsTheOldFoldersDeltaLink() throws {
        let store = try StateStore(inMemory: ())
        try store.setMailbox("m", folderId: .some("f1"), state: "ok")
        try store.setContactDeltaLink("m", "D1")
        try store.setMailbox("m", folderId: .some("f1"), state: "ok")
        try store.setMailbox("m", state: "verify")
        #expect(try store.contactDeltaLinks() == ["m": "D1"], "same folder, or none given: kept")
        try store.setMailbox("m", folderId: .some(nil), state: "new")
        #expect(try store.contactDeltaLinks().isEmpty, "folder cleared: dropped")
        try store.setMailbox("m", folderId: .some("f2"), state: "ok")
        try store.setContactDeltaLink("m", "D2")
        try store.setMailbox("m", folderId: .some("f3"), state: "ok")
        #expect(try store.contactDeltaLinks().isEmpty, "another folder: dropped")
    }
}
