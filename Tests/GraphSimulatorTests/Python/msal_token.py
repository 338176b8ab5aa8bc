#!/usr/bin/env python3
"""Gets an app token from galsync-sim with Microsoft's own MSAL for Python.

usage: msal_token.py AUTHORITY CLIENT_ID KEY_PEM CERT_PEM MODE
MODE is "thumbprint" (SHA-1 x5t, RS256) or "certificate" (public certificate given, so MSAL
may use SHA-256 and PS256). The simulator's TLS CA comes in through REQUESTS_CA_BUNDLE.
Prints the JSON of the token's claims on success; exits 1 with MSAL's error otherwise.
"""
import base64, json, sys

import msal
from cryptography import x509
from cryptography.hazmat.primitives import hashes

authority, client_id, key_path, cert_path, mode = sys.argv[1:6]
key = open(key_path).read()
cert_pem = open(cert_path).read()
cert = x509.load_pem_x509_certificate(cert_pem.encode())
credential = {"private_key": key, "thumbprint": cert.fingerprint(hashes.SHA1()).hex()}
if mode == "certificate":
    credential = {"private_key": key, "public_certificate": cert_pem}
app = msal.ConfidentialClientApplication(
    client_id, authority=authority, client_credential=credential, instance_discovery=False)
result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
if "access_token" not in result:
    print(json.dumps({k: result.get(k) for k in ("error", "error_description", "error_codes")}))
    sys.exit(1)
payload = result["access_token"].split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
print(json.dumps({"msal": msal.__version__, "roles": claims.get("roles"), "appid": claims.get("appid")}))
