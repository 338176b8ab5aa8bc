import COpenSSL

/// A failure inside the OpenSSL adapter: what was attempted and OpenSSL's own reason.
public struct CryptoError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let reason: String

    public init(_ operation: String, reason: String? = nil) {
        self.operation = operation
        self.reason = reason ?? CryptoError.drainOpenSSLErrors()
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
