import Foundation

/// Writes key material and other private files: atomically (temporary file, then rename), with
/// the final mode from the first byte on, so a key is never briefly readable by others and a
/// crash never leaves half a file.
public enum SecretFile {
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    public static func write(_ data: Data, to path: String, mode: mode_t, overwrite: Bool = true) throws(WriteError) {
        if !overwrite, FileManager.default.fileExists(atPath: path) {
            throw WriteError(path: path, reason: "it exists (use --force to replace it)")
        }
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = "\(dir.isEmpty ? "." : dir)/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        var ok = fchmod(fd, mode) == 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while ok, offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { ok = false } else { offset += n }
            }
        }
        ok = ok && fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw WriteError(path: path, reason: reason)
        }
    }
}
