import Foundation
@testable import GalsyncCore
import GalsyncJSON
import GraphSimulator
import Testing

/// Server text reaches no terminal and no sd_notify message raw, end to end through the built
/// `galsync`: a display name with ESC sequences in `plan`'s output, and a token endpoint error
/// with a line break in the service's STATUS=.
@Suite struct NetworkTextTests {
    static let hostileName = "Eve\u{1B}[2J\u{1B}]0;pwned\u{07}\u{9B}31m\nFAKE LINE\r\n"

    static func hasControl(_ line: Substring) -> Bool {
        line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// Runs the built galsync with `arguments`; returns its exit status and stdout. The output
    /// goes to a file where `scripts/test`'s secrets sweep reads it (`GALSYNC_CHILD_OUTPUT`).
    static func runCapturing(_ arguments: [String]) async throws -> (status: Int32, stdout: String) {
        let dir = ProcessInfo.processInfo.environment["GALSYNC_CHILD_OUTPUT"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = "\(dir)/galsync-stdout-\(UUID().uuidString).log"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let child = ChildProcess(CrashRecoveryTests.binary, arguments)
        child.process.standardOutput = FileHandle(forWritingAtPath: path)
        try child.start()
        let status = await child.wait()
        return (status, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }

    @Test func planPrintsDisplayNamesWithoutControlCharacters() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: CrashRecoveryTests.binary))
        try await SyncHarness.with(users: 8) { h in
            try await h.sync()
            let user = try #require(await h.expectedSources().first?["id"]?.stringValue)
            try await h.sim.updateUser(user, ["displayName": .string(Self.hostileName)])
            let configPath = h.install.dir.appendingPathComponent("galsync.toml").path
            try CrashRecoveryTests.toml(h.config).write(toFile: configPath, atomically: true, encoding: .utf8)
            let (status, out) = try await Self.runCapturing(["plan", "--config", configPath])
            #expect(status == 0, "\(out)")
            #expect(out.contains("update Eve\u{FFFD}[2J"), "the name is shown, made safe: \(out)")
            #expect(!out.contains("\u{1B}") && !out.contains("\r"))
            for line in out.split(separator: "\n") {
                #expect(!Self.hasControl(line), "\(line.debugDescription)")
                #expect(!line.hasPrefix("FAKE LINE"), "a newline in a name starts no line of its own")
            }
        }
    }

    @Test func aTokenErrorWithALineBreakSendsOneStatusLine() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: CrashRecoveryTests.binary))
        try await SyncHarness.with(users: 6) { h in
            let refusal: JSONValue = [
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.\nWATCHDOG_USEC=1\nSTATUS=all is well\r\nTrace ID: 1",
                "error_codes": [7000215],
            ]
            await h.sim.queueResponse(route: "POST /oauth2/v2.0/token", status: 401, body: refusal.encoded())
            let configPath = h.install.dir.appendingPathComponent("galsync.toml").path
            try CrashRecoveryTests.toml(h.config).write(toFile: configPath, atomically: true, encoding: .utf8)
            let socket = try NotifySocket()
            let child = ChildProcess(CrashRecoveryTests.binary, ["run", "--config", configPath])
            child.process.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": socket.path]) { $1 }
                .filter { $0.key != "WATCHDOG_USEC" && $0.key != "WATCHDOG_PID" }
            try child.start()
            try await socket.waitFor("cycle 1 failed")
            kill(child.process.processIdentifier, SIGTERM)
            try await socket.waitFor("STOPPING=1")
            #expect(await child.wait() == 0)
            let failed = try #require(socket.received.first { $0.contains("cycle 1 failed") })
            #expect(failed.hasPrefix("STATUS=") && !failed.contains("\n"), "one assignment: \(failed.debugDescription)")
            #expect(failed.contains("Invalid client secret provided. WATCHDOG_USEC=1 STATUS=all is well"), "\(failed)")
            for message in socket.received {
                for line in message.split(separator: "\n") {
                    #expect(!line.hasPrefix("WATCHDOG_USEC") && line != "STATUS=all is well", "\(message.debugDescription)")
                    #expect(!Self.hasControl(line))
                }
            }
        }
    }
}
