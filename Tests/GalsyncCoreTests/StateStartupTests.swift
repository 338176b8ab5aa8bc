import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GRDB
import GraphSimulator
import SyncStore
import Testing

/// Start-up against the state as an operator meets it, through the real `galsync` binary: a
/// state folder that is missing or cannot be made, a corrupt or foreign or newer database, an
/// earlier galsync's database, and a read-only mount. Each failure has its exit status, names
/// the path, says why and what to do, and shows no raw NSError text.
@Suite(.serialized) struct StateStartupTests {
    static var binary: String { CrashRecoveryTests.binary }

    /// Writes the harness's configuration with `state` as sync.state; returns its path.
    static func configure(_ h: inout SyncHarness, state: String) throws -> String {
        h.config.sync.state = state
        let path = h.install.dir.appendingPathComponent("galsync.toml").path
        try CrashRecoveryTests.toml(h.config).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func galsync(_ arguments: String...) async throws -> CapturedRun {
        try await CapturedRun.run(binary, arguments)
    }

    /// No framework error text reaches the operator.
    static func expectPlain(_ run: CapturedRun, sourceLocation: SourceLocation = #_sourceLocation) {
        for raw in ["NSCocoaErrorDomain", "Error Domain=", "NSError", "SQLite error"] {
            #expect(!run.stderr.contains(raw), "stderr shows \(raw): \(run.stderr)", sourceLocation: sourceLocation)
        }
    }

    static func created(_ run: CapturedRun) -> Int? {
        let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        return (object?["created"] as? NSNumber)?.intValue
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// SQL run on the file directly, as another program (or an earlier galsync) would.
    static func sql(_ path: String, _ sql: String) throws {
        try DatabaseQueue(path: path).write { try $0.execute(sql: sql) }
    }

    static func pragma(_ path: String, _ name: String) throws -> Int {
        try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "PRAGMA \(name)") ?? -1 }
    }

    @Test func aMissingNestedStateFolderIsCreated0700AndSyncSucceeds() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the galsync executable first (scripts/test does)")
        try await SyncHarness.with(users: 8) { h in
            let root = h.install.dir.appendingPathComponent("new").path
            let config = try Self.configure(&h, state: root + "/nested/dir/state.db")
            let run = try await Self.galsync("sync", "--config", config)
            #expect(run.status == 0, "\(run.stderr)")
            for folder in [root, root + "/nested", root + "/nested/dir"] { #expect(try Self.mode(folder) == 0o700, "\(folder)") }
            #expect(try Self.mode(h.config.sync.state) == 0o600)
            await h.expectExact()
        }
    }

    @Test func anUncreatableStateFolderExits73WithThePathAndTheReason() async throws {
        try await SyncHarness.with(users: 4) { h in
            // A folder under a regular file: ENOTDIR binds root too.
            let file = h.install.dir.appendingPathComponent("galsync.crt").path
            let config = try Self.configure(&h, state: file + "/state/state.db")
            for command in ["sync", "run"] {
                let run = try await Self.galsync(command, "--config", config)
                #expect(run.status == 73, "\(command): \(run.status) \(run.stderr)")
                #expect(run.stderr.contains("cannot create the state folder \(file)/state"), "\(command): \(run.stderr)")
                #expect(run.stderr.contains("Not a directory") && run.stderr.contains("mkdir -p -m 0700"), "\(command): \(run.stderr)")
                Self.expectPlain(run)
            }
        }
    }

    @Test func aCorruptStateExits78WithHowToRecoverAndMovingItAsideReadoptsTheContacts() async throws {
        try await SyncHarness.with(users: 8) { h in
            let config = try Self.configure(&h, state: h.statePath)
            #expect(try await Self.galsync("sync", "--config", config).status == 0)
            var generator = SystemRandomNumberGenerator()
            try Data((0..<16_384).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: h.statePath))
            for command in ["sync", "run", "plan", "status"] {
                let run = try await Self.galsync(command, "--config", config)
                #expect(run.status == 78, "\(command): \(run.status) \(run.stderr)")
                #expect(run.stderr.contains("state database \(h.statePath) is damaged") && run.stderr.contains("move it aside"), "\(command): \(run.stderr)")
                Self.expectPlain(run)
            }
            // The recovery the message gives: move it aside; the next cycle finds its own contacts.
            try FileManager.default.moveItem(atPath: h.statePath, toPath: h.statePath + ".corrupt")
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: h.statePath + suffix) }
            let again = try await Self.galsync("sync", "--json", "--config", config)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(Self.created(again) == 0, "re-adopted, not created again: \(again.stdout)")
            await h.expectExact()
        }
    }

    @Test func aForeignSQLiteDatabaseExits78AndIsLeftUntouched() async throws {
        try await SyncHarness.with(users: 4) { h in
            let config = try Self.configure(&h, state: h.statePath)
            try Self.sql(h.statePath, "CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
            let before = try Data(contentsOf: URL(fileURLWithPath: h.statePath))
            for command in ["sync", "status"] {
                let run = try await Self.galsync(command, "--config", config)
                #expect(run.status == 78, "\(command): \(run.status) \(run.stderr)")
                #expect(run.stderr.contains("\(h.statePath) is not galsync's state database") && run.stderr.contains("invoices"), "\(command): \(run.stderr)")
                Self.expectPlain(run)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: h.statePath)) == before)
        }
    }

    @Test func aDatabaseOfANewerGalsyncExits78() async throws {
        try await SyncHarness.with(users: 4) { h in
            let config = try Self.configure(&h, state: h.statePath)
            #expect(try await Self.galsync("sync", "--config", config).status == 0)
            try Self.sql(h.statePath, "PRAGMA user_version = 99")
            let run = try await Self.galsync("sync", "--config", config)
            #expect(run.status == 78, "\(run.status) \(run.stderr)")
            #expect(run.stderr.contains("\(h.statePath) was written by a newer galsync (schema version 99"), "\(run.stderr)")
            Self.expectPlain(run)
        }
    }

    @Test func anEarlierGalsyncsDatabaseWithoutApplicationIdIsAdopted() async throws {
        try await SyncHarness.with(users: 8) { h in
            let config = try Self.configure(&h, state: h.statePath)
            #expect(try await Self.galsync("sync", "--config", config).status == 0)
            try Self.sql(h.statePath, "PRAGMA application_id = 0; PRAGMA user_version = 0")
            let run = try await Self.galsync("sync", "--json", "--config", config)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(Self.created(run) == 0, "the state it knew was kept: \(run.stdout)")
            #expect(try Self.pragma(h.statePath, "application_id") == 0x4741_4C53)
            #expect(try Self.pragma(h.statePath, "user_version") == 8)  // StateIdentity.schemaVersion
            await h.expectExact()
        }
    }

    @Test(.enabled(if: CapturedRun.readOnlyMountWorks, "needs unshare -m and a bind mount (root)"))
    func onAReadOnlyMountStatusAndPlanWorkAndSyncExits73() async throws {
        try await SyncHarness.with(users: 8) { h in
            let folder = h.install.dir.appendingPathComponent("ro").path
            let config = try Self.configure(&h, state: folder + "/state.db")
            #expect(try await Self.galsync("sync", "--config", config).status == 0)
            let status = try await CapturedRun.withReadOnly(folder, Self.binary, ["status", "--config", config])
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("last cycle #1"), "\(status.stdout)")
            let plan = try await CapturedRun.withReadOnly(folder, Self.binary, ["plan", "--config", config])
            #expect(plan.status == 0, "\(plan.stderr)")
            for command in ["sync", "run"] {
                let run = try await CapturedRun.withReadOnly(folder, Self.binary, [command, "--config", config])
                #expect(run.status == 73, "\(command): \(run.status) \(run.stderr)")
                #expect(run.stderr.contains(folder) && run.stderr.contains("Read-only file system") && run.stderr.contains("remount"), "\(command): \(run.stderr)")
                Self.expectPlain(run)
            }
        }
    }

    @Test func stateErrorsMapTo73WhenTheFileSystemRefusesAnd78WhenTheFileIsWrong() {
        for e in [EROFS, EACCES, EPERM] { #expect(GalsyncRuntime.exitStatus(for: StateStoreError.notWritable(path: "/s", errno: e)) == .cantCreate) }
        #expect(GalsyncRuntime.exitStatus(for: StateStoreError.folderNotCreated(folder: "/a/b", failedAt: "/a", errno: ENOTDIR)) == .cantCreate)
        for e: StateStoreError in [.corrupt(path: "/s", reason: "r"), .foreign(path: "/s", reason: "r"), .newer(path: "/s", version: 2, supported: 1),
                                   .outdated(path: "/s"), .notReadable(path: "/s", errno: EACCES)] {
            #expect(GalsyncRuntime.exitStatus(for: e) == .config, "\(e)")
        }
    }
}
