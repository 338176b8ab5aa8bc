/// What `galsync --version` prints: `galsync 0.1.0 (commit 90d5ad7, built 2026-12-05)`.
///
/// The version number lives here and nowhere else (scripts/package-deb reads it from this
/// file). The commit and the date are stamped by scripts/package-deb, not by the build itself,
/// so building needs no git: the script writes `BuildStamp.generated.swift` beside this file
/// (its whole body inside `#if GALSYNC_BUILD_STAMP`), builds with `-Xswiftc
/// -DGALSYNC_BUILD_STAMP`, and removes the file again. Any other build, a plain `swift build`
/// on a fresh clone included, says "unknown" for both.
enum BuildInfo {
    static let version = "0.1.0"

    static var versionLine: String { "galsync \(version) (commit \(BuildStamp.commit), built \(BuildStamp.date))" }
}

#if !GALSYNC_BUILD_STAMP
/// No stamp: a build that scripts/package-deb did not make.
enum BuildStamp {
    static let commit = "unknown"
    static let date = "unknown"
}
#endif
