import COpenSSL

/// Sets RSA padding on an OpenSSL signing or verifying context for a JWS algorithm.
enum SignaturePadding {
    static func apply(_ algorithm: SignatureAlgorithm, to pctx: OpaquePointer?) throws {
        switch algorithm {
        case .rs256:
            guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0 else { throw CryptoError("set PKCS#1 padding") }
        case .ps256:
            guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0,
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0
            else { throw CryptoError("set PSS padding") }
        }
    }
}
