import COpenSSL
import CShims
import Foundation

extension Certificate {
    /// Makes a self-signed X.509 v3 certificate (SHA-256 with RSA) for `key`.
    ///
    /// - Parameters:
    ///   - subject: RFC 2253-style `CN=galsync,O=Contoso` (comma-separated `attr=value` pairs).
    ///   - notBefore/notAfter: the validity window.
    ///   - subjectAltNames: e.g. `["DNS:localhost", "IP:127.0.0.1"]` for a TLS server certificate.
    public static func selfSigned(
        key: PrivateKey,
        subject: String,
        notBefore: Date = Date(),
        notAfter: Date,
        subjectAltNames: [String] = []
    ) throws -> Certificate {
        guard notAfter > notBefore else {
            throw CryptoError("make certificate", reason: "the certificate would expire before it becomes valid")
        }
        guard let x509 = X509_new() else { throw CryptoError("make certificate") }
        let cert = Certificate(taking: x509)
        X509_set_version(x509, 2)  // v3
        var serial = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&serial, Int32(serial.count)) == 1 else { throw CryptoError("random serial") }
        serial[0] &= 0x7f  // positive
        guard let bn = BN_bin2bn(serial, Int32(serial.count), nil) else { throw CryptoError("serial") }
        defer { BN_free(bn) }
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509))
        var start = time_t(notBefore.timeIntervalSince1970)
        var end = time_t(notAfter.timeIntervalSince1970)
        X509_time_adj_ex(X509_getm_notBefore(x509), 0, 0, &start)
        X509_time_adj_ex(X509_getm_notAfter(x509), 0, 0, &end)
        guard X509_set_pubkey(x509, key.pkey) == 1 else { throw CryptoError("set public key") }

        let name = X509_get_subject_name(x509)
        for (field, value) in try parseSubject(subject) {
            let ok = X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, value, -1, -1, 0)
            guard ok == 1 else { throw CryptoError("make certificate", reason: "subject attribute '\(field)' is not known to OpenSSL") }
        }
        X509_set_issuer_name(x509, name)

        let isServer = !subjectAltNames.isEmpty
        let extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, isServer ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"),
            (NID_ext_key_usage, isServer ? "serverAuth" : "clientAuth"),
            (NID_subject_key_identifier, "hash"),
        ] + (isServer ? [(NID_subject_alt_name, subjectAltNames.joined(separator: ","))] : [])
        for (nid, value) in extensions {
            guard gs_x509_add_ext(x509, x509, nid, value) == 1 else { throw CryptoError("add extension \(value)") }
        }
        guard X509_sign(x509, key.pkey, EVP_sha256()) > 0 else { throw CryptoError("sign certificate") }
        return cert
    }

    /// Splits `CN=a,O=b` into pairs; a backslash escapes a comma.
    static func parseSubject(_ subject: String) throws -> [(String, String)] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for ch in subject {
            if escaped { current.append(ch); escaped = false }
            else if ch == "\\" { escaped = true }
            else if ch == "," { parts.append(current); current = "" }
            else { current.append(ch) }
        }
        parts.append(current)
        return try parts.map { part in
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2, !pieces[0].trimmingCharacters(in: .whitespaces).isEmpty,
                  !pieces[1].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw CryptoError("make certificate", reason: "subject '\(subject)' is not of the form CN=name,O=organisation")
            }
            return (pieces[0].trimmingCharacters(in: .whitespaces), pieces[1].trimmingCharacters(in: .whitespaces))
        }
    }
}
