import COpenSSL
import Foundation

/// One-shot message digests through OpenSSL's EVP interface.
public enum Digest {
    public static func sha256(_ data: some DataProtocol) -> Data { digest(data, EVP_sha256()) }
    public static func sha1(_ data: some DataProtocol) -> Data { digest(data, EVP_sha1()) }

    /// SHA-256 of bytes already in an array, without copying them into `Data` first (the
    /// projection hash runs once per directory user per cycle).
    public static func sha256(bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = bytes.withUnsafeBytes { raw in EVP_Digest(raw.baseAddress, raw.count, &out, &len, EVP_sha256(), nil) }
        precondition(ok == 1 && len == 32, "EVP_Digest failed: \(CryptoError.drainOpenSSLErrors())")
        return out
    }

    private static func digest(_ data: some DataProtocol, _ md: OpaquePointer?) -> Data {
        let input = Data(data)
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        let ok = input.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &out, &len, md, nil)
        }
        precondition(ok == 1, "EVP_Digest failed: \(CryptoError.drainOpenSSLErrors())")
        return Data(out.prefix(Int(len)))
    }

    /// Lower-case hex, as thumbprints are usually shown.
    public static func hex(_ data: Data) -> String { hex(Array(data)) }

    /// Lower-case hex of `bytes`, or of their first `count` (a digest's prefix).
    public static func hex(_ bytes: [UInt8], count: Int? = nil) -> String {
        let n = min(count ?? bytes.count, bytes.count)
        return String(unsafeUninitializedCapacity: 2 * n) { out in
            for i in 0..<n {
                out[2 * i] = hexDigits[Int(bytes[i] >> 4)]
                out[2 * i + 1] = hexDigits[Int(bytes[i] & 0x0F)]
            }
            return 2 * n
        }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)
}
