import Foundation
import Testing

/// `galsync check` run by a user who may not read /etc/galsync: "cannot read", with the fix
/// that exists (run as root), not "no such file".
@Suite struct WrongUserTests {
    @Test func aRootOnlyFolderIsCannotReadWithTheFix() async throws {
        let dir = "/tmp/galsync-etc-\(UUID())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[tenant]\n".write(toFile: dir + "/galsync.toml", atomically: true, encoding: .utf8)
        chmod(dir, 0o700)
        let binary = OtherUserBinary.path
        // nobody must be able to run the binary itself, or the test says nothing.
        let probe = try await CapturedRun.run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", binary, "--version"])
        try #require(probe.status == 0, "nobody cannot run \(binary) here: \(probe)")
        let run = try await CapturedRun.run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", binary, "check", "--config", dir + "/galsync.toml"])
        #expect(run.status == 78, "\(run)")
        #expect(run.stdout.contains("cannot read it (permission denied)") && run.stdout.contains("run galsync as root"), "\(run)")
        #expect(!run.stdout.contains("no such file"), "\(run)")
    }
}
