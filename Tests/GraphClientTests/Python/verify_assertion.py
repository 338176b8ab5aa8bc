#!/usr/bin/env python3
"""Verifies a galsync client assertion with PyJWT, independently of galsync's own code.

usage: verify_assertion.py JWT_FILE CERT_PEM AUDIENCE ALG
Checks the signature with the certificate's public key, the algorithm, the thumbprint header
(x5t#S256 for PS256, x5t for RS256), aud, iss = sub, jti, and a 10-minute exp - nbf. Prints ok.
"""
import base64, hashlib, sys

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

token, cert_pem, audience, alg = open(sys.argv[1]).read().strip(), open(sys.argv[2], "rb").read(), sys.argv[3], sys.argv[4]
cert = x509.load_pem_x509_certificate(cert_pem)
der = cert.public_bytes(serialization.Encoding.DER)
header = jwt.get_unverified_header(token)
assert header["alg"] == alg, header
assert header["typ"] == "JWT", header
b64 = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
if alg == "PS256":
    assert header["x5t#S256"] == b64(hashlib.sha256(der).digest()), "x5t#S256 is not the certificate's SHA-256 thumbprint"
else:
    assert header["x5t"] == b64(hashlib.sha1(der).digest()), "x5t is not the certificate's SHA-1 thumbprint"
claims = jwt.decode(token, cert.public_key(), algorithms=[alg], audience=audience,
                    options={"require": ["exp", "nbf", "aud", "iss", "sub", "jti"]})
assert claims["iss"] == claims["sub"], claims
assert claims["exp"] - claims["nbf"] == 600, claims
print("ok")
