import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// Role-based operators through the real binary: `galsync status` run by someone who is not
/// root, against a state root wrote. Outside the group it says it cannot read and how to fix
/// it (exit 78, UNKNOWN for --check); in the group that owns the status file it shows the
/// status from that file, saying so. (On a host the package made, the group is `galsync`; a
/// test machine has none, so the test gives the file and folder a group of its own.)
@Suite(.serialized) struct StatusGroupTests {
    static let gid = 4242  // no name needed: setpriv takes numbers

    static func asNobody(groups: [Int], _ arguments: [String]) async throws -> CapturedRun {
        let supplementary = groups.isEmpty ? ["--clear-groups"] : ["--groups=" + groups.map(String.init).joined(separator: ",")]
        return try await CapturedRun.run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup"] + supplementary + [OtherUserBinary.path] + arguments)
    }

    @Test func aGroupMemberReadsTheStatusFileOthersAreToldWhy() async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            Issue.record("needs root and setpriv to run galsync as another user"); return
        }
        try await SyncHarness.with(users: 6) { h in
            var h = h
            // A world-readable folder for the configuration (the harness's is root's), and the
            // state folder in it, 0750 root:gid, as an administrator opens it to the group.
            let top = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-group-\(UUID().uuidString.prefix(8))").path
            let stateDir = top + "/state"
            try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: top) }
            chmod(top, 0o755)
            chown(stateDir, 0, gid_t(Self.gid))
            chmod(stateDir, 0o750)
            h.config.sync.state = stateDir + "/state.db"
            let config = top + "/galsync.toml"
            try CrashRecoveryTests.toml(h.config).write(toFile: config, atomically: true, encoding: .utf8)
            chmod(config, 0o644)

            #expect(try await CapturedRun.run(CrashRecoveryTests.binary, ["sync", "--config", config]).status == 0)
            let statusFile = stateDir + "/status.json"
            let mode = (try FileManager.default.attributesOfItem(atPath: statusFile)[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o640, "the status file is 0640, not \(String(mode ?? 0, radix: 8))")
            #expect(try StateStartupTests.mode(h.config.sync.state) & 0o077 == 0, "the database stays the owner's")

            // Not in the group: cannot read, says so and how to fix it.
            let outsider = try await Self.asNobody(groups: [], ["status", "--config", config])
            #expect(outsider.status == 78, "\(outsider)")
            #expect(outsider.stderr.contains("cannot read the state \(h.config.sync.state) (permission denied)") && outsider.stderr.contains("adduser nobody galsync"), "\(outsider.stderr)")
            #expect(outsider.stdout.isEmpty)
            let outsiderCheck = try await Self.asNobody(groups: [], ["status", "--check", "--config", config])
            #expect(outsiderCheck.status == 3 && outsiderCheck.stdout.hasPrefix("GALSYNC UNKNOWN: cannot read the state"), "\(outsiderCheck)")
            let outsiderJSON = try await Self.asNobody(groups: [], ["status", "--json", "--config", config])
            let error = (try? JSONSerialization.jsonObject(with: Data(outsiderJSON.stdout.utf8)) as? [String: Any])?["error"] as? [String: Any]
            #expect(outsiderJSON.status == 78 && error?["code"] as? Int == 78 && (error?["fix"] as? String)?.contains("galsync group") == true, "\(outsiderJSON)")

            // In the group that owns the status file: the status, from the file, saying so.
            chown(statusFile, 0, gid_t(Self.gid))
            let member = try await Self.asNobody(groups: [Self.gid], ["status", "--config", config])
            #expect(member.status == 0, "\(member)")
            #expect(member.stdout.hasPrefix("from the status file written ") && member.stdout.contains("run as root for live state"), "\(member.stdout)")
            #expect(member.stdout.contains("\nnot running: ") && member.stdout.contains("\nlast cycle #1, started ") && member.stdout.contains(": ok; created "), "\(member.stdout)")
            let check = try await Self.asNobody(groups: [Self.gid], ["status", "--check", "--config", config])
            #expect(check.status == 0 && check.stdout.hasPrefix("GALSYNC OK: last cycle #1 ") && check.stdout.contains("(status file, "), "\(check)")
            let json = try await Self.asNobody(groups: [Self.gid], ["status", "--json", "--config", config])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json)")
            #expect((object["status_file"] as? [String: Any])?["path"] as? String == statusFile && (object["cycles"] as? [Any])?.count == 1, "\(object)")

            // Root still reads the live state, not the file.
            let root = try await CapturedRun.run(CrashRecoveryTests.binary, ["status", "--config", config])
            #expect(root.status == 0 && root.stdout.hasPrefix("not running"), "\(root.stdout)")
        }
    }

    /// The service's file names the service as running and the next cycle due; once it has
    /// stopped, the reader says the process that wrote it is gone. Both copies are written:
    /// beside the state and in the unit's runtime directory.
    @Test func theServicesFileSaysItIsRunningUntilItStops() async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            Issue.record("needs root and setpriv to run galsync as another user"); return
        }
        try await SyncHarness.with(users: 6) { h in
            var h = h
            let top = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-group-\(UUID().uuidString.prefix(8))").path
            let stateDir = top + "/state", runtime = top + "/run"
            for dir in [stateDir, runtime] {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                chown(dir, 0, gid_t(Self.gid))
                chmod(dir, 0o750)
            }
            defer { try? FileManager.default.removeItem(atPath: top) }
            chmod(top, 0o755)
            h.config.sync.state = stateDir + "/state.db"
            let config = top + "/galsync.toml"
            try CrashRecoveryTests.toml(h.config).write(toFile: config, atomically: true, encoding: .utf8)
            chmod(config, 0o644)
            let socket = try NotifySocket()
            let child = ChildProcess(CrashRecoveryTests.binary, ["run", "--config", config])
            child.process.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": socket.path, "RUNTIME_DIRECTORY": runtime]) { $1 }
            try child.start()
            try await socket.waitFor("mailboxes, 0 failed")
            let deadline = Date() + 20
            while !FileManager.default.fileExists(atPath: runtime + "/status.json") || !FileManager.default.fileExists(atPath: stateDir + "/status.json"), Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(FileManager.default.fileExists(atPath: runtime + "/status.json"), "the runtime directory's copy")
            chown(stateDir + "/status.json", 0, gid_t(Self.gid))
            let pid = child.process.processIdentifier
            let running = try await Self.asNobody(groups: [Self.gid], ["status", "--config", config])
            #expect(running.stdout.contains("\nrunning: the galsync service (pid \(pid))\n") && running.stdout.contains("\nnext cycle due "), "\(running.stdout)")
            #expect(!running.stdout.contains("no longer running"))
            kill(pid, SIGTERM)
            #expect(await child.wait() == 0)
            let stopped = try await Self.asNobody(groups: [Self.gid], ["status", "--config", config])
            #expect(stopped.stdout.contains("\nthe galsync run that wrote it (pid \(pid)) is no longer running\n"), "\(stopped.stdout)")
        }
    }
}
