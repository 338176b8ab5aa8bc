import Foundation
import GalsyncCrypto

/// The Microsoft identity platform's v2.0 endpoints for one tenant: OpenID discovery, signing
/// keys, and the token endpoint's client-credentials grant with a certificate client assertion,
/// verified for real (signature, thumbprint, audience, issuer, time window, replay).
extension GraphSimulator {
    func identity(_ request: SimRequest) -> SimResponse {
        let s = request.segments
        guard s.count >= 2 else { return .graphError(404, "NotFound", "No such endpoint.", request: request) }
        let tenant = s[0]
        let rest = s.dropFirst().map { $0.lowercased() }
        let known = tenant.lowercased() == tenantId || tenant.lowercased() == tenantDomain
        switch (request.method, Array(rest)) {
        case ("GET", ["v2.0", ".well-known", "openid-configuration"]):
            guard known else { return identityError(400, "invalid_tenant", 90002, tenantNotFound(tenant)) }
            return .json(200, discoveryDocument(baseURL: request.baseURL))
        case ("GET", ["discovery", "v2.0", "keys"]):
            guard known else { return identityError(400, "invalid_tenant", 90002, tenantNotFound(tenant)) }
            return .json(200, ["keys": [["kty": "RSA", "use": "sig", "kid": .string(Base64URL.encode(signingCertificate.sha1Thumbprint)),
                                          "x5t": .string(Base64URL.encode(signingCertificate.sha1Thumbprint)),
                                          "x5c": [.string(signingCertificate.der.base64EncodedString())]]]])
        case ("POST", ["oauth2", "v2.0", "token"]):
            counters.tokenRequests += 1
            // A canned answer (`queueResponse(route: "POST /oauth2/v2.0/token", …)`) stands in
            // for the real one: tests send error text the real service would not.
            let response = takeCannedResponse("POST /oauth2/v2.0/token") ?? tokenRequest(request, tenant: tenant, known: known)
            if response.status != 200, let code = response.json?["error_codes"]?.arrayValue?.first?.numberValue {
                counters.tokenRejections["AADSTS\(Int(code))", default: 0] += 1
            }
            return response
        default:
            return .graphError(404, "NotFound", "No such identity endpoint.", request: request)
        }
    }

    func discoveryDocument(baseURL: String) -> JSONValue {
        let base = "\(baseURL)/\(tenantId)"
        return [
            "token_endpoint": .string("\(base)/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": .string("\(base)/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": .string("\(base)/v2.0"),
            "request_uri_parameter_supported": false,
            "authorization_endpoint": .string("\(base)/oauth2/v2.0/authorize"),
            "device_authorization_endpoint": .string("\(base)/oauth2/v2.0/devicecode"),
            "end_session_endpoint": .string("\(base)/oauth2/v2.0/logout"),
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        ]
    }

    func tenantNotFound(_ tenant: String) -> String {
        "Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
    }

    /// The identity platform's error shape, with the AADSTS code in `error_codes` and the description.
    func identityError(_ status: Int, _ error: String, _ code: Int, _ message: String) -> SimResponse {
        let trace = UUID().uuidString.lowercased(), correlation = UUID().uuidString.lowercased()
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        f.timeZone = TimeZone(identifier: "UTC")
        let stamp = f.string(from: now())
        return .json(status, [
            "error": .string(error),
            "error_description": .string("AADSTS\(code): \(message)\r\nTrace ID: \(trace)\r\nCorrelation ID: \(correlation)\r\nTimestamp: \(stamp)"),
            "error_codes": [.number(Double(code))],
            "timestamp": .string(stamp), "trace_id": .string(trace), "correlation_id": .string(correlation),
            "error_uri": .string("https://login.microsoftonline.com/error?code=\(code)"),
        ])
    }

    func tokenRequest(_ request: SimRequest, tenant: String, known: Bool) -> SimResponse {
        // The token endpoint says invalid_request for an unknown tenant; discovery says invalid_tenant.
        guard known else { return identityError(400, "invalid_request", 90002, tenantNotFound(tenant)) }
        let form = Self.parseForm(request.body)
        guard form["grant_type"] == "client_credentials" else {
            return identityError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '\(form["grant_type"] ?? "")'.")
        }
        guard let clientId = form["client_id"], !clientId.isEmpty else {
            return identityError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
        }
        guard let app = apps[clientId.lowercased()] else {
            return identityError(400, "unauthorized_client", 700016,
                "Application with identifier '\(clientId)' was not found in the directory '\(tenantDomain)'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
        }
        guard let scope = form["scope"], !scope.isEmpty else {
            return identityError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
        }
        let graphResources = ["https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000", request.baseURL.lowercased()]
        let scopes = scope.split(separator: " ").map { String($0).lowercased() }
        if Set(scopes.map { $0.split(separator: "/").dropLast().joined(separator: "/") }).count > 1 {
            return identityError(400, "invalid_scope", 700022, "The provided value for the input parameter scope is not valid because it contains more than one resource. Scope \(scope) is not valid.")
        }
        guard scopes.count == 1, scopes[0].hasSuffix("/.default"), graphResources.contains(String(scopes[0].dropLast("/.default".count))) else {
            return identityError(400, "invalid_scope", 70011,
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope \(scope) is not valid. The client credentials flow needs '{resource}/.default', e.g. 'https://graph.microsoft.com/.default'.")
        }
        guard let assertion = form["client_assertion"], !assertion.isEmpty else {
            return identityError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        }
        guard form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
            return identityError(401, "invalid_client", 7000218,
                "The request body must contain the following parameter: 'client_assertion_type' with the value 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.")
        }
        switch verifyAssertion(assertion, app: app, baseURL: request.baseURL) {
        case .failure(let failure):
            return identityError(401, "invalid_client", failure.code, failure.message)
        case .success:
            return issueToken(for: app)
        }
    }

    struct AssertionFailure: Error { let code: Int; let message: String }

    /// Checks a client assertion as Entra ID does. Codes: 50027 malformed (or replayed, see
    /// `rejectReplayedAssertions`), 700027 unknown certificate or bad signature, 1000502
    /// certificate outside its validity window, 50048 sub ≠ iss, 700021 iss ≠ client id,
    /// 700023 wrong audience, 700024 outside its time window.
    func verifyAssertion(_ assertion: String, app: AppRegistration, baseURL: String) -> Result<Void, AssertionFailure> {
        guard let jws = CompactJWS(assertion),
              let header = JSONValue.parse(jws.header)?.objectValue,
              let claims = JSONValue.parse(jws.payload)?.objectValue else {
            return .failure(.init(code: 50027, message: "JWT token is invalid or is malformed."))
        }
        guard let alg = header["alg"]?.stringValue.flatMap(SignatureAlgorithm.init(rawValue:)) else {
            return .failure(.init(code: 50027, message: "JWT token is invalid or is malformed: unsupported signing algorithm '\(header["alg"]?.stringValue ?? "none")'; use PS256 or RS256."))
        }
        // x5t#S256 (SHA-256) or x5t (SHA-1); base64url, or standard base64 as MSAL Go sends it.
        let thumbprint: Data?
        let shaName: String
        if let t = header["x5t#S256"]?.stringValue { thumbprint = Base64URL.decode(t); shaName = "SHA-256" }
        else if let t = header["x5t"]?.stringValue { thumbprint = Base64URL.decode(t); shaName = "SHA-1" }
        else { thumbprint = nil; shaName = "none" }
        let certificate = app.certificates.first { thumbprint != nil && ($0.sha256 == thumbprint || $0.sha1 == thumbprint) }
        guard let certificate, let cert = try? Certificate(der: certificate.der) else {
            let shown = thumbprint.map { Digest.hex($0).uppercased() } ?? "(no x5t or x5t#S256 header)"
            return .failure(.init(code: 700027,
                message: "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '\(shown)' (\(shaName)), Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '\(app.clientId)'.]"))
        }
        let t = now()
        guard certificate.notBefore <= t, t < certificate.notAfter else {
            return .failure(.init(code: 1000502,
                message: "The provided certificate is outside its validity window: it is expired or not yet valid (valid \(Self.iso(certificate.notBefore)) to \(Self.iso(certificate.notAfter))). Upload a current certificate to the app registration."))
        }
        guard jws.verify(with: cert, algorithm: alg) else {
            return .failure(.init(code: 700027, message: "Client assertion failed signature validation."))
        }
        guard claims["sub"]?.stringValue?.lowercased() == claims["iss"]?.stringValue?.lowercased() else {
            return .failure(.init(code: 50048, message: "Subject mismatches Issuer claim in the client assertion. Contact the tenant admin."))
        }
        guard claims["iss"]?.stringValue?.lowercased() == app.clientId else {
            return .failure(.init(code: 700021, message: "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."))
        }
        let audiences = [tenantId, tenantDomain].flatMap { ["\(baseURL)/\($0)/oauth2/v2.0/token", "\(baseURL)/\($0)/oauth2/token"] }.map { $0.lowercased() }
        guard let aud = claims["aud"]?.stringValue, audiences.contains(aud.lowercased()) else {
            return .failure(.init(code: 700023, message: "Client assertion audience claim does not match Realm issuer. Expected the token endpoint URL '\(baseURL)/\(tenantId)/oauth2/v2.0/token', got '\(claims["aud"]?.stringValue ?? "")'."))
        }
        guard let exp = claims["exp"]?.numberValue else {
            return .failure(.init(code: 50027, message: "JWT token is invalid or is malformed: the 'exp' claim is missing."))
        }
        let nbf = claims["nbf"]?.numberValue ?? claims["iat"]?.numberValue ?? 0
        let skew = settings.clockSkewSeconds
        let nowS = t.timeIntervalSince1970
        guard nowS < exp + skew, nowS + skew >= nbf else {
            return .failure(.init(code: 700024,
                message: "Client assertion is not within its valid time range. Current time: \(Self.iso(t)), assertion valid from \(Self.iso(Date(timeIntervalSince1970: nbf))), expiry time of assertion \(Self.iso(Date(timeIntervalSince1970: exp))). Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."))
        }
        guard let jti = claims["jti"]?.stringValue, !jti.isEmpty else {
            return .failure(.init(code: 50027, message: "JWT token is invalid or is malformed: the 'jti' claim is missing."))
        }
        usedAssertionIds = usedAssertionIds.filter { $0.value > t }
        guard usedAssertionIds[jti] == nil || !settings.rejectReplayedAssertions else {
            return .failure(.init(code: 50027, message: "JWT token is invalid: the client assertion with jti '\(jti)' has already been used (replay)."))
        }
        usedAssertionIds[jti] = Date(timeIntervalSince1970: exp + skew)
        return .success(())
    }

    /// Issues an app-only access token: a JWT signed with the simulator's key, `roles` = granted permissions.
    func issueToken(for app: AppRegistration) -> SimResponse {
        let issued = now()
        let lifetime = settings.tokenLifetimeSeconds
        let claims: JSONValue = [
            "aud": "https://graph.microsoft.com", "iss": .string("https://sts.windows.net/\(tenantId)/"),
            "iat": .number(issued.timeIntervalSince1970.rounded(.down)), "nbf": .number(issued.timeIntervalSince1970.rounded(.down)),
            "exp": .number((issued.timeIntervalSince1970 + Double(lifetime)).rounded(.down)),
            "appid": .string(app.clientId), "app_displayname": .string(app.displayName), "idtyp": "app",
            "oid": .string(app.clientId), "sub": .string(app.clientId), "tid": .string(tenantId),
            "roles": .array(app.roles.map(JSONValue.string)), "uti": .string(UUID().uuidString), "ver": "1.0",
        ]
        let header: JSONValue = ["typ": "JWT", "alg": "RS256", "x5t": .string(Base64URL.encode(signingCertificate.sha1Thumbprint)),
                                 "kid": .string(Base64URL.encode(signingCertificate.sha1Thumbprint))]
        guard let token = try? CompactJWS.sign(header: header.encoded(), payload: claims.encoded(), key: signingKey, algorithm: .rs256) else {
            return identityError(500, "temporarily_unavailable", 50000, "There was an error issuing a token.")
        }
        tokens = tokens.filter { $0.value.expires > issued }
        tokens[token] = IssuedToken(clientId: app.clientId, roles: app.roles, expires: issued + Double(lifetime))
        counters.tokensIssued += 1
        return .json(200, ["token_type": "Bearer", "expires_in": .number(Double(lifetime)),
                           "ext_expires_in": .number(Double(lifetime)), "access_token": .string(token)])
    }

    static func parseForm(_ body: Data) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func dec(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            out[dec(kv[0])] = kv.count > 1 ? dec(kv[1]) : ""
        }
        return out
    }
}
