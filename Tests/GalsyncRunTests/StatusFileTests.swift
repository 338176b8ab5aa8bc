import Foundation
import GalsyncConfig
@testable import GalsyncRun
import SyncStore
import Testing

/// `status.json`, what members of the `galsync` group read: written 0640 with the group,
/// read back for the same state only, its age said, and stale health CRITICAL.
@Suite struct StatusFileTests {
    struct Folder {
        let dir: String
        let config: Configuration
        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-statusfile-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var c = Configuration(tenant: .init(id: "contoso.onmicrosoft.com", clientId: "00000000-0000-0000-0000-000000000001", certificate: dir + "/none.crt"))
            c.sync.state = dir + "/state.db"
            c.sync.interval = 900
            config = c
        }
        /// A state with one finished cycle.
        func store() throws -> StateStore {
            let store = try StateStore(path: config.sync.state)
            var record = StateStore.CycleRecord(id: try store.startCycle(), started: Date() - 30)
            record.outcome = "ok"
            record.created = 7
            try store.finishCycle(record)
            return store
        }
    }

    @Test func writtenForTheGroupAndReadBackForTheSameState() throws {
        let f = try Folder()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let old = umask(0o077)
        defer { umask(old) }
        // nogroup stands for galsync here (the package's group does not exist on a test machine).
        let written = try StatusFile.write(config: f.config, store: try f.store(), running: nil, environment: [:], group: "nogroup")
        #expect(written == [f.dir + "/status.json"])
        let attributes = try FileManager.default.attributesOfItem(atPath: written[0])
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o640)
        #expect((attributes[.groupOwnerAccountID] as? NSNumber)?.intValue == 65534, "the group may read it: \(attributes)")

        let (file, path) = try StatusFile.read(statePath: f.config.sync.state, environment: [:]).get()
        #expect(path == written[0] && file.state == f.config.sync.state)
        let text = file.text(path: path, width: 60, now: file.written + 120)
        #expect(text.hasPrefix("from the status file written 2 min ago (\(path)); run as root for live state\n"), "\(text)")
        #expect(text.contains("\nlast cycle #1, started ") && text.contains("created 7"), "\(text)")
        #expect(text.split(separator: "\n").dropFirst().allSatisfy { $0.count <= 60 || !$0.contains(" ") }, "wrapped to the reader's width: \(text)")
        #expect(file.json(path: path)["status_file"]?["path"]?.stringValue == path)

        // Another state's file is not shown for this one.
        let other = StatusFile.read(statePath: f.dir + "/other/state.db", environment: ["RUNTIME_DIRECTORY": f.dir])
        guard case .failure(let failure) = other else { Issue.record("read another state's file"); return }
        #expect(failure.description.contains("describes another state"), "\(failure)")
    }

    @Test func theUnitsRuntimeDirectoryGetsACopy() throws {
        let f = try Folder()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let runtime = f.dir + "/run"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        let written = try StatusFile.write(config: f.config, store: try f.store(), running: nil, environment: ["RUNTIME_DIRECTORY": runtime], group: "nogroup")
        #expect(written == [f.dir + "/status.json", runtime + "/status.json"])
        // A reader who can reach only the runtime directory finds it there.
        try FileManager.default.removeItem(atPath: f.dir + "/status.json")
        let (_, path) = try StatusFile.read(statePath: f.config.sync.state, environment: ["RUNTIME_DIRECTORY": runtime]).get()
        #expect(path == runtime + "/status.json")
    }

    /// Nothing has written the file for longer than a cycle may take to succeed: CRITICAL,
    /// whatever it recorded; fresh, its own health, saying it comes from the file.
    @Test func aStaleFileIsCritical() throws {
        let f = try Folder()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        try StatusFile.write(config: f.config, store: try f.store(), running: nil, environment: [:], group: "nogroup")
        let (file, _) = try StatusFile.read(statePath: f.config.sync.state, environment: [:]).get()
        let fresh = file.health(now: file.written + 60)
        #expect(fresh.level == .warning && fresh.line.hasPrefix("GALSYNC WARNING: the certificate cannot be read") && fresh.line.hasSuffix("(status file, 1 min old)"), "\(fresh.line)")
        let stale = file.health(now: file.written + 3 * 3600)
        #expect(stale.level == .critical && stale.line.contains("not been updated for 3 h"), "\(stale.line)")
    }
}
