import COpenSSL
import CShims
import Foundation

/// An OpenSSL memory BIO, freed with its owner.
final class MemoryBIO {
    let bio: OpaquePointer

    init() throws {
        guard let b = BIO_new(BIO_s_mem()) else { throw CryptoError("allocate BIO") }
        bio = b
    }

    /// A BIO holding a copy of `data`.
    convenience init(_ data: Data) throws {
        try self.init()
        let written = data.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
        guard written == data.count || data.isEmpty else { throw CryptoError("fill BIO") }
    }

    func contents() -> Data {
        var ptr: UnsafeMutablePointer<CChar>?
        let n = gs_bio_mem_data(bio, &ptr)
        guard let ptr, n > 0 else { return Data() }
        return Data(bytes: ptr, count: n)
    }

    deinit { BIO_free(bio) }
}
