import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// A datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifySocket: @unchecked Sendable {
    let path: String
    let fd: Int32

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let size = socklen_t(MemoryLayout<sockaddr_un>.size)
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        guard ok == 0 else { throw TestFailure("bind \(path) failed") }
    }

    /// Messages received so far (non-blocking).
    func drain() -> [String] {
        var out: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n <= 0 { break }
            out.append(String(decoding: buffer.prefix(n), as: UTF8.self))
        }
        return out
    }

    /// Everything received so far (kept by `waitFor`).
    private(set) var received: [String] = []

    /// Waits until a received message contains `needle`; records an issue after `seconds`.
    func waitFor(_ needle: String, seconds: Double = 20) async throws {
        let deadline = Date() + seconds
        while Date() < deadline {
            received += drain()
            if received.contains(where: { $0.contains(needle) }) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no \(needle) within \(seconds) s; got \(received)")
    }

    /// Forgets what was received, so the next `waitFor` sees only what comes after.
    func forget() { received = [] }

    deinit { close(fd); unlink(path) }
}

struct TestFailure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

@Suite struct ServiceTests {
    @Test func runTalksToSystemdReloadsOnHUPAndStopsCleanlyOnTERM() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: CrashRecoveryTests.binary))
        try await SyncHarness.with(users: 12) { h in
            let configPath = h.install.dir.appendingPathComponent("galsync.toml").path
            try CrashRecoveryTests.toml(h.config).write(toFile: configPath, atomically: true, encoding: .utf8)
            let socket = try NotifySocket()
            let child = ChildProcess(CrashRecoveryTests.binary, ["run", "--config", configPath])
            child.process.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"]) { $1 }
            try child.start()
            try await socket.waitFor("READY=1")
            try await socket.waitFor("mailboxes, 0 failed")  // the first cycle's STATUS line
            try await socket.waitFor("WATCHDOG=1")
            kill(child.process.processIdentifier, SIGHUP)
            try await socket.waitFor("RELOADING=1")
            try await socket.waitFor("STATUS=configuration reloaded")
            kill(child.process.processIdentifier, SIGTERM)
            try await socket.waitFor("STOPPING=1")
            #expect(await child.wait() == 0)
            #expect(socket.received.first?.hasPrefix("READY=1") == true, "READY comes first: \(socket.received.prefix(3))")
            await h.expectExact()
            #expect(try StateStore(path: h.statePath).integrityCheck() == "ok")
        }
    }

    @Test func aReloadWithABadFileKeepsTheRunningConfiguration() async throws {
        try await SyncHarness.with(users: 8) { h in
            let configPath = h.install.dir.appendingPathComponent("galsync.toml").path
            let good = CrashRecoveryTests.toml(h.config)
            try good.write(toFile: configPath, atomically: true, encoding: .utf8)
            let socket = try NotifySocket()
            let child = ChildProcess(CrashRecoveryTests.binary, ["run", "--config", configPath])
            child.process.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": socket.path]) { $1 }
            try child.start()
            try await socket.waitFor("mailboxes, 0 failed")
            // A typo, then a stray '[' (which once aborted the TOML parser): both refused, the
            // service keeps running with what it had.
            // And two files the loader accepts that every cycle would fail on (or run wrong):
            // another sync.folder under a state that wrote to this one, the example's placeholder group.
            var moved = h.config
            moved.sync.folder = "Elsewhere"
            let placeholder = good + "\ngroups = [\"00000000-0000-0000-0000-000000000000\"]\n"  // under [mailboxes], the file's last table
            for bad in [good + "\n[directory]\ninclde_groups = []\n", good + "\n[\n", CrashRecoveryTests.toml(moved), placeholder] {
                try bad.write(toFile: configPath, atomically: true, encoding: .utf8)
                socket.forget()
                kill(child.process.processIdentifier, SIGHUP)
                try await socket.waitFor("RELOADING=1")
                try await socket.waitFor("STATUS=reload refused")
                #expect(child.isRunning)
            }
            kill(child.process.processIdentifier, SIGTERM)
            try await socket.waitFor("STOPPING=1")
            #expect(await child.wait() == 0)
            await h.expectExact()
        }
    }

    @Test func aBadConfigurationExits78() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("galsync.toml").path
        try "[tenant]\nid = \"contoso.onmicrosoft.com\"\ninclde_groups = []\n".write(toFile: path, atomically: true, encoding: .utf8)
        for command in [["run"], ["sync"], ["plan"], ["check"]] {
            #expect(try await ChildProcess.run(CrashRecoveryTests.binary, command + ["--config", path]) == 78, "\(command)")
        }
    }
}
