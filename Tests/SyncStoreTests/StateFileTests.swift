import Foundation
import GRDB
@testable import SyncStore
import Testing

/// The state file at start-up: its folder is made 0700, SQLite's refusals become errors that
/// name the path and the fix, a file that is not galsync's (or is newer) is refused untouched,
/// an unstamped galsync file is adopted, and the read-only open writes nothing.
@Suite struct StateFileTests {
    /// A fresh folder for one test, removed afterwards by `remove`.
    struct Scratch {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-file-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        func path(_ name: String) -> String { "\(dir)/\(name)" }
        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// A plain SQLite file made without galsync (GRDB with no migration).
    static func sqlite(_ path: String, _ sql: String) throws {
        let q = try DatabaseQueue(path: path)
        try q.write { try $0.execute(sql: sql) }
    }

    static func pragma(_ path: String, _ name: String) throws -> Int {
        try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "PRAGMA \(name)") ?? -1 }
    }

    @Test func theLockCreatesAMissingNestedFolder0700BeforeOpeningItself() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("new/nested/dir/state.db")
        let lock = try StateLock(statePath: state)
        for folder in ["new", "new/nested", "new/nested/dir"] { #expect(try Self.mode(s.path(folder)) == 0o700, "\(folder)") }
        let store = try StateStore(path: state)
        #expect(try Self.mode(state) == 0o600)
        #expect(try store.integrityCheck() == "ok")
        withExtendedLifetime(lock) {}
    }

    @Test func aFolderUnderARegularFileIsRefusedWithTheErrnoAndTheFix() throws {
        let s = try Scratch()
        defer { s.remove() }
        FileManager.default.createFile(atPath: s.path("plain"), contents: Data("x".utf8))
        let state = s.path("plain/sub/state.db")
        let expected = StateStoreError.folderNotCreated(folder: s.path("plain/sub"), failedAt: s.path("plain"), errno: ENOTDIR)
        #expect(throws: expected) { try StateLock(statePath: state) }
        #expect(throws: expected) { try StateStore(path: state) }
        #expect(expected.isCantCreate)
        let text = expected.description
        #expect(text.contains(s.path("plain/sub")) && text.contains("Not a directory") && text.contains("mkdir -p -m 0700"))
    }

    @Test func aCorruptFileIsRefusedUntouchedWithHowToRecover() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("state.db")
        var generator = SystemRandomNumberGenerator()
        let bytes = Data((0..<8192).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try bytes.write(to: URL(fileURLWithPath: state))
        for readOnly in [false, true] {
            let error = #expect(throws: StateStoreError.self) { try StateStore(path: state, readOnly: readOnly) }
            guard case .corrupt(let path, _) = error else { Issue.record("not .corrupt: \(String(describing: error))"); continue }
            #expect(path == state)
            #expect(error?.isCantCreate == false)
            #expect(error!.description.contains("move it aside") && error!.description.contains("mv \(state) \(state).corrupt"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: state)) == bytes)
    }

    @Test func aForeignDatabaseWithOtherTablesIsRefusedUntouched() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("state.db")
        try Self.sqlite(state, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)")
        let before = try Data(contentsOf: URL(fileURLWithPath: state))
        for readOnly in [false, true] {
            let error = #expect(throws: StateStoreError.self) { try StateStore(path: state, readOnly: readOnly) }
            guard case .foreign(let path, let reason) = error else { Issue.record("not .foreign: \(String(describing: error))"); continue }
            #expect(path == state && reason.contains("invoices"))
            #expect(error!.description.contains("not galsync's state database"))
        }
        // Not even switched to WAL: the file is byte for byte what it was.
        #expect(try Data(contentsOf: URL(fileURLWithPath: state)) == before)
        #expect(try Self.pragma(state, "application_id") == 0)
    }

    @Test func aDatabaseOfAnotherApplicationIsRefused() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("state.db")
        try Self.sqlite(state, "PRAGMA application_id = 1234")
        #expect(throws: StateStoreError.foreign(path: state, reason: "its SQLite application_id is 0x4d2, galsync's is 0x47414c53")) {
            try StateStore(path: state)
        }
    }

    @Test func aNewerGalsyncDatabaseIsRefusedWithTheVersions() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("state.db")
        _ = try StateStore(path: state)
        let newer = StateIdentity.schemaVersion + 1
        try Self.sqlite(state, "PRAGMA user_version = \(newer)")
        for readOnly in [false, true] {
            #expect(throws: StateStoreError.newer(path: state, version: newer, supported: StateIdentity.schemaVersion)) {
                try StateStore(path: state, readOnly: readOnly)
            }
        }
        #expect(StateStoreError.newer(path: state, version: 7, supported: 1).description.contains("newer galsync"))
    }

    @Test func aNewFileIsStampedAsGalsyncs() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("state.db")
        _ = try StateStore(path: state)
        #expect(try Self.pragma(state, "application_id") == 0x4741_4C53)
        #expect(try Self.pragma(state, "user_version") == StateIdentity.schemaVersion)
    }

    @Test func anUnstampedDatabaseOfAnEarlierGalsyncIsAdoptedWithItsData() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("state.db")
        try StateStore(path: state).setMeta("delta_link", "L1")
        // What galsync before the stamp left: its tables, application_id and user_version 0.
        try Self.sqlite(state, "PRAGMA application_id = 0; PRAGMA user_version = 0")
        #expect(try StateStore(path: state, readOnly: true).meta("delta_link") == "L1")
        #expect(try Self.pragma(state, "application_id") == 0, "a read-only open stamps nothing")
        let store = try StateStore(path: state)
        #expect(try store.meta("delta_link") == "L1")
        #expect(try Self.pragma(state, "application_id") == 0x4741_4C53)
        #expect(try Self.pragma(state, "user_version") == StateIdentity.schemaVersion)
    }

    /// A file galsync 2 (schema v2) left: `plan` and `status` ask for the upgrade, the first
    /// writing open makes it (v3: the desired set and `mailbox.applied`; v4: the folders'
    /// contacts deltaLinks; v5: people's names), and nothing is lost.
    @Test func aVersion2DatabaseIsUpgradedToTheCurrentVersionWithItsData() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("state.db")
        let old = try DatabaseQueue(path: state)
        try StateStore.migrator.migrate(old, upTo: "v2")
        try old.write { db in
            try db.execute(sql: "PRAGMA application_id = \(StateIdentity.applicationID); PRAGMA user_version = 2")
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('delta_link', 'L1')")
            try db.execute(sql: "INSERT INTO mailbox (owner_id, folder_id, state) VALUES ('m', 'f', 'ok')")
            try db.execute(sql: "INSERT INTO managed_contact (owner_id, user_id, contact_id, hash) VALUES ('m', 'u', 'c', 'h')")
            try db.execute(sql: #"INSERT INTO directory_user (id, json) VALUES ('m', '{"id":"m","userPrincipalName":"mo@contoso.com","displayName":"Mo"}')"#)
        }
        try old.close()
        #expect(throws: StateStoreError.outdated(path: state)) { try StateStore(path: state, readOnly: true) }

        let store = try StateStore(path: state)
        #expect(try Self.pragma(state, "user_version") == 8 && StateIdentity.schemaVersion == 8)
        #expect(try store.people(["m", "u"]) == ["m": PersonName(id: "m", upn: "mo@contoso.com", displayName: "Mo")], "v5 names the snapshot's users")
        #expect(try store.meta("delta_link") == "L1")
        #expect(try store.mailboxes()["m"] == .init(ownerId: "m", folderId: "f", state: "ok", reason: nil, reconciled: nil, applied: nil))
        #expect(try store.managedContacts("m")["u"]?.hash == "h")
        #expect(try store.desiredBasis() == nil && store.desiredHashes().isEmpty, "no desired set yet: the next cycle plans in full")
        try store.setMailbox("m", state: "ok", applied: 1)
        #expect(try store.mailboxes()["m"]?.applied == 1)
        #expect(try store.contactDeltaLinks().isEmpty)
        try store.setContactDeltaLink("m", "D1")
        #expect(try store.contactDeltaLinks() == ["m": "D1"])
        #expect(try store.integrityCheck() == "ok")
        #expect(try StateStore(path: state, readOnly: true).mailboxes()["m"]?.applied == 1, "read-only once upgraded")
        try store.forgetMailbox("m")
        #expect(try store.contactDeltaLinks().isEmpty, "a forgotten mailbox's link goes with it")
    }

    @Test func galsyncsTablesPlusAStrangerAreNotAdopted() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("state.db")
        _ = try StateStore(path: state)
        try Self.sqlite(state, "PRAGMA application_id = 0; PRAGMA user_version = 0; CREATE TABLE stranger (x)")
        #expect(throws: StateStoreError.foreign(path: state, reason: "it holds tables galsync does not make: stranger")) { try StateStore(path: state) }
    }

    @Test func theReadOnlyOpenReadsAndNeverWrites() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("state.db")
        try StateStore(path: state).setMeta("folder", "Company")
        let store = try StateStore(path: state, readOnly: true)
        #expect(try store.meta("folder") == "Company")
        #expect(throws: (any Error).self) { try store.setMeta("folder", "Other") }
        #expect(try StateStore(path: state).meta("folder") == "Company")
    }

    @Test func theReadOnlyOpenOfAnEmptyFileIsAnEmptyState() throws {
        let s = try Scratch()
        defer { s.remove() }
        let state = s.path("state.db")
        FileManager.default.createFile(atPath: state, contents: nil)
        let store = try StateStore(path: state, readOnly: true)
        #expect(try store.recentCycles(limit: 5).isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: state)).isEmpty)
    }

    @Test func readOnlyMountsAndPermissionsSayWhyAndAreCantCreate() {
        let rofs = StateStoreError.notWritable(path: "/var/lib/galsync/state.db.lock", errno: EROFS)
        #expect(rofs.isCantCreate)
        #expect(rofs.description.contains("/var/lib/galsync/state.db.lock") && rofs.description.contains("Read-only file system"))
        #expect(rofs.description.contains("remount"))
        let denied = StateStoreError.notWritable(path: "/var/lib/galsync/state.db", errno: EACCES)
        #expect(denied.isCantCreate && denied.description.contains("Permission denied") && denied.description.contains("write access"))
        #expect(!StateStoreError.notReadable(path: "/x", errno: EACCES).isCantCreate)
    }
}
