#!/usr/bin/env python3
"""A short scripted tour of galsync-sim, as a Graph client sees it (used by scripts/demo).

usage: sim-tour.py CONFIG_DIR   (the directory galsync-sim --write-config wrote)
"""
import base64, hashlib, json, sys, time, uuid, concurrent.futures, urllib.request, urllib.error, urllib.parse

import jwt  # PyJWT, installed with MSAL by scripts/setup
from cryptography import x509
from cryptography.hazmat.primitives import serialization

cfg_dir = sys.argv[1]
conf = {}
for line in open(f"{cfg_dir}/galsync.toml"):
    if "=" in line and not line.strip().startswith("#"):
        k, v = line.split("=", 1)
        conf[k.strip()] = v.strip().strip('"')
base, tenant, client = conf["graph_endpoint"], conf["id"], conf["client_id"]


def call(method, url, body=None, token=None, form=None):
    data, headers = None, {}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url if url.startswith("http") else base + url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), dict(e.headers)


def step(text):
    print(f"\n▶ {text}")


cert = x509.load_pem_x509_certificate(open(conf["certificate"], "rb").read())
der = cert.public_bytes(serialization.Encoding.DER)
token_url = f"{conf['login_endpoint']}/{tenant}/oauth2/v2.0/token"
now = int(time.time())
assertion = jwt.encode(
    {"aud": token_url, "iss": client, "sub": client, "jti": str(uuid.uuid4()), "nbf": now, "exp": now + 600},
    open(conf["private_key"]).read(), algorithm="PS256",
    headers={"x5t#S256": base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()})
form = {"grant_type": "client_credentials", "client_id": client, "scope": "https://graph.microsoft.com/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": assertion}

step("Token: client credentials with a PS256 certificate assertion")
status, body, _ = call("POST", token_url, form=form)
token = body["access_token"]
roles = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==")).get("roles")
print(f"  {status}, expires_in={body['expires_in']}, roles={roles}")
step("The same assertion again is refused (replayed jti)")
status, body, _ = call("POST", token_url, form=form)
print(f"  {status} {body['error']}: {body['error_description'].splitlines()[0][:90]}…")

step("Directory: /users/delta, all pages, then the deltaLink")
url, users, pages = "/v1.0/users/delta?$select=displayName,mail,jobTitle,mobilePhone", [], 0
while True:
    status, body, _ = call("GET", url, token=token)
    pages += 1
    users += body["value"]
    if "@odata.nextLink" in body:
        url = body["@odata.nextLink"]
    else:
        delta_link = body["@odata.deltaLink"]
        break
print(f"  {len(users)} users in {pages} pages, e.g. {', '.join(u['displayName'] for u in users[5:9])}")
state = call("GET", "/_sim/state")[1]
owner = next(u for u in state["users"] if u["hasMailbox"] and not u["deleted"])
changed = users[0]["id"]
call("PATCH", f"/_sim/users/{changed}", body={"jobTitle": "Chief Demo Officer"})
status, body, _ = call("GET", delta_link, token=token)
print(f"  after one change, the next round returns {len(body['value'])} user: {body['value'][0].get('displayName')} → {body['value'][0].get('jobTitle')}")

step(f"Mailbox of {owner['displayName']}: a folder and a tagged contact")
status, folder, _ = call("POST", f"/v1.0/users/{owner['id']}/contactFolders", body={"displayName": "Company Directory"}, token=token)
print(f"  folder: {status}")
tag = "String {66f5a359-4659-4830-9070-00040ec6ac6e} Name galsyncSource"
contact = {"displayName": users[1]["displayName"], "emailAddresses": [{"address": users[1].get("mail") or "x@contoso.com"}],
           "singleValueExtendedProperties": [{"id": tag, "value": users[1]["id"]}]}
status, body, _ = call("POST", f"/v1.0/users/{owner['id']}/contactFolders/{folder['id']}/contacts", body=contact, token=token)
print(f"  contact: {status} {body['displayName']}")
status, body, _ = call("POST", f"/v1.0/users/{owner['id']}/contacts", body={"displayName": "x", "nickname": "typo"}, token=token)
print(f"  a body with an unknown property: {status} {body['error']['code']}")

step("Throttling: 6 requests at once to one mailbox (4 may run concurrently)")
call("PUT", "/_sim/settings", body={"latencyMs": 300})
with concurrent.futures.ThreadPoolExecutor(6) as pool:
    results = list(pool.map(lambda _: call("GET", f"/v1.0/users/{owner['id']}/contacts", token=token), range(6)))
call("PUT", "/_sim/settings", body={"latencyMs": 0})
print("  statuses:", sorted(r[0] for r in results), "Retry-After:", [r[2].get("Retry-After") for r in results if r[0] == 429])

step("$batch: 3 creates and one that depends on a failing request")
reqs = [{"id": str(i), "method": "POST", "url": f"/users/{owner['id']}/contacts", "headers": {"Content-Type": "application/json"},
         "body": {"displayName": f"Batch {i}"}} for i in range(3)]
reqs.append({"id": "bad", "method": "GET", "url": f"/users/{owner['id']}/contacts/nope"})
reqs.append({"id": "after", "method": "GET", "url": "/users", "dependsOn": ["bad"]})
status, body, _ = call("POST", "/v1.0/$batch", body={"requests": reqs}, token=token)
print("  items:", sorted((r["id"], r["status"]) for r in body["responses"]))

step("Simulator counters")
counters = call("GET", "/_sim/counters")[1]
print(f"  requests={counters['totalRequests']} throttled={counters['throttled']} contactWrites={counters['contactWrites']} "
      f"highestConcurrency={max(counters['highestConcurrency'].values())} tokenRejections={counters['tokenRejections']}")
