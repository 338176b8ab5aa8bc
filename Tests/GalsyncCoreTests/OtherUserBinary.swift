import Foundation

/// The galsync binary where an unprivileged user can run it: the checkout may sit in a
/// folder only root may enter (CI's fresh clone in a `mktemp -d` folder, mode 0700), so tests
/// that run galsync as `nobody` or the unit's user use a copy in a 0755 folder of /tmp.
enum OtherUserBinary {
    static let path: String = {
        // One copy, replaced by each test run (a debug binary is large): written beside, then renamed.
        let dir = "/tmp/galsync-bin"
        let copy = dir + "/galsync", fresh = dir + "/galsync.\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        chmod(dir, 0o755)
        try? FileManager.default.removeItem(atPath: fresh)
        try? FileManager.default.copyItem(atPath: CrashRecoveryTests.binary, toPath: fresh)
        chmod(fresh, 0o755)
        rename(fresh, copy)
        return copy
    }()
}
