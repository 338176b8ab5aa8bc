import COpenSSL

/// A failure inside the OpenSSL adapter: what was attempted and OpenSSL's own reason.
public struct CryptoError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let reason: String
    /// The passphrase given for an encrypted key or PKCS#12 file is not its passphrase (or
    /// none was given for one that has one): said once, in words, not as OpenSSL's error stack.
    public let isWrongPassphrase: Bool

    public init(_ operation: String, reason: String? = nil, isWrongPassphrase: Bool = false) {
        self.operation = operation
        self.reason = reason ?? CryptoError.drainOpenSSLErrors()
        self.isWrongPassphrase = isWrongPassphrase
    }

    /// The error for secret material OpenSSL refused to open (`operation`), from its error
    /// queue (emptied): a decryption or MAC check that failed is a wrong passphrase
    /// (`passphraseGiven`) or a missing one, anything else is `otherwise` with OpenSSL's reasons.
    static func openingFailed(_ operation: String, passphraseGiven: Bool, otherwise: String) -> CryptoError {
        var codes: [UInt] = []
        while case let code = ERR_get_error(), code != 0 { codes.append(code) }
        let wrong = codes.contains { code in
            let (lib, reason) = (ERR_GET_LIB(code), ERR_GET_REASON(code))
            // PROV_R_BAD_DECRYPT (100, in <openssl/proverr.h>, which COpenSSL does not include):
            // OpenSSL 3's providers report a failed decryption with it.
            return (lib == ERR_LIB_PKCS12 && [PKCS12_R_MAC_VERIFY_FAILURE, PKCS12_R_PKCS12_CIPHERFINAL_ERROR].contains(reason))
                || (lib == ERR_LIB_PEM && reason == PEM_R_BAD_DECRYPT) || (lib == ERR_LIB_PROV && reason == 100)
                || (lib == ERR_LIB_EVP && reason == EVP_R_BAD_DECRYPT)
        }
        if wrong {
            return CryptoError(operation, reason: passphraseGiven ? "wrong passphrase" : "it has a passphrase and none was given", isWrongPassphrase: true)
        }
        return CryptoError(operation, reason: "\(otherwise) (\(codes.map(Self.text).joined(separator: "; ")))")
    }

    static func text(_ code: UInt) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { reason.isEmpty ? operation : "\(operation): \(reason)" }

    /// Empties OpenSSL's thread-local error queue and returns its reasons, most recent last.
    static func drainOpenSSLErrors() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.joined(separator: "; ")
    }
}
