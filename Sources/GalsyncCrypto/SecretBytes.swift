import COpenSSL
import Foundation

/// Secret bytes (an access token) in memory galsync owns, overwritten with `OPENSSL_cleanse`
/// when the last reference goes, so a core file or a later heap read does not find them.
///
/// What this cannot promise: Swift `String`s and `Data` made from these bytes (an
/// `Authorization` header, a JSON decoder's result) live in storage the runtime frees without
/// clearing, and libcurl copies headers into its own lists. Keep such copies short-lived; the
/// unit's `LimitCORE=0` keeps them out of core files.
public final class SecretBytes: @unchecked Sendable, Equatable, CustomStringConvertible {
    private let buffer: UnsafeMutableRawBufferPointer

    public init(_ bytes: some Collection<UInt8>) {
        buffer = .allocate(byteCount: bytes.count, alignment: 1)
        buffer.copyBytes(from: bytes)
    }

    public convenience init(_ text: String) { self.init(Array(text.utf8)) }

    deinit {
        if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
        buffer.deallocate()
    }

    public var count: Int { buffer.count }

    /// A `String` copy, for an API that takes nothing else (see the type's caveat).
    public var string: String { String(decoding: UnsafeRawBufferPointer(buffer), as: UTF8.self) }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(buffer))
    }

    public static func == (a: SecretBytes, b: SecretBytes) -> Bool {
        a === b || (a.count == b.count && CRYPTO_memcmp(a.buffer.baseAddress, b.buffer.baseAddress, a.count) == 0)
    }

    public var description: String { "SecretBytes(\(count) bytes, redacted)" }
}

extension Data {
    /// Overwrites the bytes with zeros (`OPENSSL_cleanse`, which the compiler cannot drop as a
    /// dead store), in place when this `Data` is the only owner of its storage. A `Data` that
    /// shares storage with another value is copied first and only the copy is cleared: wipe
    /// the value that was read from the file, before handing copies around.
    public mutating func wipe() {
        withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress { OPENSSL_cleanse(base, raw.count) }
        }
    }
}
