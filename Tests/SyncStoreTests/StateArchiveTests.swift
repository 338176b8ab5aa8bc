import Foundation
@testable import SyncStore
import Testing

/// The archive nodes save to PostgreSQL: every state file of a tenant, put back whole.
@Suite struct StateArchiveTests {
    static func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-archive-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func theStateAndEveryListsStateComeBackAndWhatTheArchiveLacksGoes() throws {
        let a = try Self.folder(), b = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        try StateStore(path: a + "/state.db").setMeta("delta_link", "home")
        try FileManager.default.createDirectory(atPath: a + "/lists", withIntermediateDirectories: true)
        try StateStore(path: a + "/lists/vendors.db").setMeta("delta_link", "vendors")
        // b holds an older state and a list the archive does not know: both replaced or removed.
        try StateStore(path: b + "/state.db").setMeta("delta_link", "old")
        try FileManager.default.createDirectory(atPath: b + "/lists", withIntermediateDirectories: true)
        try StateStore(path: b + "/lists/gone.db").setMeta("delta_link", "gone")
        let archive = try StateStore.snapshot(of: a + "/state.db")
        try StateStore.restore(archive, at: b + "/state.db")
        #expect(try StateStore(path: b + "/state.db").meta("delta_link") == "home")
        #expect(try StateStore(path: b + "/lists/vendors.db").meta("delta_link") == "vendors")
        #expect(!FileManager.default.fileExists(atPath: b + "/lists/gone.db"))
    }

    @Test func aDamagedArchiveIsRefusedAndReplacesNothing() throws {
        let a = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: a) }
        try StateStore(path: a + "/state.db").setMeta("delta_link", "kept")
        let archive = try StateStore.snapshot(of: a + "/state.db")
        for damaged in [archive.prefix(archive.count - 10), Data("nope".utf8), StateStore.archiveMagic + Data([0, 9]) + Data("../evil.db".utf8.prefix(9))] {
            #expect(throws: StateStoreError.self) { try StateStore.restore(Data(damaged), at: a + "/state.db") }
        }
        #expect(try StateStore(path: a + "/state.db").meta("delta_link") == "kept")
    }
}
