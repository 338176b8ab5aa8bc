import Foundation
import GalsyncJSON

/// A user's profile photo as Exchange serves it: uploaded at `original` pixels square, so the
/// sizes Graph offers are those of `sizes` not larger than it; `version` changes with every
/// upload, and so do the bytes and the ETag. The bytes are a real (tiny) baseline JPEG, distinct
/// per user, size and version, padded to a plausible length for the size.
public struct SimUserPhoto: Sendable, Hashable {
    public var original: Int
    public var version: Int

    public init(original: Int = 648, version: Int = 1) {
        self.original = original
        self.version = version
    }

    /// The sizes Graph names (profilephoto-get): 48x48 … 648x648.
    public static let sizes = [48, 64, 96, 120, 240, 360, 432, 504, 648]

    /// The sizes this photo has: the named ones up to the original (and the original itself).
    public var available: [Int] { Self.sizes.filter { $0 <= original } + (Self.sizes.contains(original) ? [] : [original]) }

    /// The ETag of this version (what `@odata.mediaEtag` carries, quoted).
    public func etag(user: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(user)/\(original)/\(version)".utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(format: "%08X", UInt32(truncatingIfNeeded: h ^ (h >> 32)))
    }

    /// A baseline JPEG (8x8 grey, one component, one-code Huffman tables) whose COM segment names
    /// the user, size and version and pads the file to about `size * size / 4` bytes (at most 64 KB
    /// a segment, several segments for larger sizes).
    public func jpeg(user: String, size: Int) -> Data {
        var d = Data([0xFF, 0xD8])
        d += [0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
        d += [0xFF, 0xDB, 0x00, 0x43, 0x00] + [UInt8](repeating: 1, count: 64)
        d += [0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00]
        d += [0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01] + [UInt8](repeating: 0, count: 15) + [0x00]
        d += [0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01] + [UInt8](repeating: 0, count: 15) + [0x00]
        let label = Array("galsync-sim photo \(user) \(size)x\(size) v\(version) ".utf8)
        var remaining = max(label.count, size * size / 4)
        var filler = etag(user: user).utf8.first ?? 0x41
        while remaining > 0 {
            let n = min(remaining, 65_000)
            var payload = label.count <= n ? label : Array(label.prefix(n))
            while payload.count < n { payload.append(0x20 + filler % 0x5E); filler = filler &* 31 &+ 7 }
            d += [0xFF, 0xFE, UInt8((n + 2) >> 8), UInt8((n + 2) & 0xFF)] + payload
            remaining -= n
        }
        d += [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x3F, 0xFF, 0xD9]
        return d
    }
}
