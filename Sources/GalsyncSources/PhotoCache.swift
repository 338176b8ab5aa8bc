import Foundation
import GalsyncCrypto

/// Photo bytes on disk, content-addressed: `photos/<sha256>.jpg` beside the state database.
/// Each user's photo is downloaded once per change and read from here for every mailbox that
/// holds their contact, so no cycle holds more than one batch of photos in memory. A missing
/// file is downloaded again (its user's photo is checked as if unknown).
public struct PhotoCache: Sendable {
    public let folder: String

    /// The cache of the state at `statePath` (`<folder of state.db>/photos`).
    public init(statePath: String) {
        let parent = (statePath as NSString).deletingLastPathComponent
        folder = ((parent.isEmpty ? "." : parent) as NSString).appendingPathComponent("photos")
    }

    public init(folder: String) { self.folder = folder }

    public static func sha256(_ data: Data) -> String { Digest.hex(Digest.sha256(data)) }

    public func path(_ sha256: String) -> String { (folder as NSString).appendingPathComponent("\(sha256).jpg") }

    /// Keeps `data` (0600, written to a temporary name and renamed) and returns its sha256.
    @discardableResult
    public func store(_ data: Data) throws -> String {
        let sha = Self.sha256(data)
        let target = path(sha)
        guard !FileManager.default.fileExists(atPath: target) else { return sha }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = target + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
        }
        if rename(temporary, target) != 0 {
            let code = errno
            unlink(temporary)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        return sha
    }

    public func load(_ sha256: String) -> Data? { FileManager.default.contents(atPath: path(sha256)) }

    public func contains(_ sha256: String) -> Bool { FileManager.default.fileExists(atPath: path(sha256)) }

    /// The cache's files and bytes (for `status`).
    public func usage() -> (files: Int, bytes: Int) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return (0, 0) }
        var bytes = 0, files = 0
        for name in names where name.hasSuffix(".jpg") {
            files += 1
            bytes += ((try? FileManager.default.attributesOfItem(atPath: (folder as NSString).appendingPathComponent(name)))?[.size] as? Int) ?? 0
        }
        return (files, bytes)
    }

    /// Removes every photo not in `keeping` (a user's old photo once no contact needs it).
    public func prune(keeping: Set<String>) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasSuffix(".jpg") && !keeping.contains(String(name.dropLast(4))) {
            unlink((folder as NSString).appendingPathComponent(name))
        }
    }
}
