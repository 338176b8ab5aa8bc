import Foundation
import GalsyncText
import GraphHTTP

/// A token request the Microsoft identity platform refused or could not answer, explained for
/// an operator: what failed, why, and what to do. `isRetryable` separates a passing fault
/// (network, 5xx, 429) from one that repeats until someone changes something.
public struct IdentityError: Error, Sendable, CustomStringConvertible {
    /// The AADSTS code, when the service gave one.
    public let code: Int?
    public let status: Int?
    public let message: String
    public let isRetryable: Bool
    /// Seconds the service asked us to wait (`Retry-After`), if any.
    public let retryAfter: Double?
    /// Why the token endpoint gave no answer at all (network, TLS, an oversized answer); nil
    /// when it answered. A TLS failure is not retried at once, yet it is no refusal of the
    /// credentials: the exit status follows this error (75), not 77.
    public let transportError: HTTPTransportError?

    public var description: String { message }

    public init(code: Int?, status: Int?, message: String, isRetryable: Bool, retryAfter: Double? = nil, transportError: HTTPTransportError? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.isRetryable = isRetryable
        self.retryAfter = retryAfter
        self.transportError = transportError
    }

    /// Facts about this installation that make the hints concrete.
    public struct Context: Sendable {
        public var tenant: String
        public var clientId: String
        public var loginHost: String
        public var sha1Thumbprint: String
        public var sha256Thumbprint: String
        public var certificateNotAfter: Date
        public var localTime: Date

        public init(tenant: String, clientId: String, loginHost: String, sha1Thumbprint: String, sha256Thumbprint: String, certificateNotAfter: Date, localTime: Date = Date()) {
            self.tenant = tenant
            self.clientId = clientId
            self.loginHost = loginHost
            self.sha1Thumbprint = sha1Thumbprint
            self.sha256Thumbprint = sha256Thumbprint
            self.certificateNotAfter = certificateNotAfter
            self.localTime = localTime
        }
    }

    /// Maps the identity platform's error body (`error`, `error_description`, `error_codes`) to a hint.
    public static func from(status: Int, body: Data, retryAfter: Double?, context: Context) -> IdentityError {
        struct Body: Decodable { var error: String?; var error_description: String?; var error_codes: [Int]?; var timestamp: String? }
        let parsed = try? JSONDecoder().decode(Body.self, from: body)
        let code = parsed?.error_codes?.first
        // The service's text, quoted in every message below: its first line, as one line
        // without control characters (it reaches the journal and sd_notify's STATUS=).
        let detail = SafeText.line(parsed?.error_description?.components(separatedBy: "\r\n").first ?? parsed?.error ?? "HTTP \(status)")
        if status == 429 || status >= 500 || parsed == nil {
            return IdentityError(code: code, status: status, message: "the token endpoint at \(context.loginHost) answered HTTP \(status) (\(detail)); galsync retries", isRetryable: true, retryAfter: retryAfter)
        }
        let hint: String
        switch code {
        case 700027:
            hint = "the certificate is not registered on app \(context.clientId): upload galsync.crt in the Entra admin center (App registrations → the app → Certificates & secrets → Certificates → Upload certificate). Its thumbprints: SHA-1 \(context.sha1Thumbprint), SHA-256 \(context.sha256Thumbprint)"
        case 1000502:
            hint = "the certificate expired on \(ISO8601DateFormatter().string(from: context.certificateNotAfter)) or is not valid yet: make a new one with 'galsync cert new', upload it, and point tenant.certificate at it"
        case 700016:
            hint = "application \(context.clientId) was not found in tenant \(context.tenant): check tenant.client_id, and that the app is registered in this tenant (or admin-consented there if it is multi-tenant)"
        case 90002:
            hint = "tenant '\(context.tenant)' was not found at \(context.loginHost): check tenant.id (the Directory ID or a verified domain) and tenant.cloud"
        case 700024:
            let server = SafeText.line(parsed?.timestamp ?? "unknown")
            hint = "the identity platform says the assertion is outside its valid time: its time is \(server), this machine's is \(ISO8601DateFormatter().string(from: context.localTime)). Fix the clock (systemd-timesyncd or chrony) and retry"
        case 70011, 700022:
            hint = "the scope was refused: tenant.graph_endpoint must be the Graph host of the same cloud as tenant.login_endpoint (see tenant.cloud)"
        case 700021, 700023, 50048, 50027, 7000218:
            hint = "the identity platform rejected the client assertion's form; check tenant.client_id and tenant.login_endpoint. If they are right, this is a galsync bug: please report it"
        default:
            hint = "see https://login.microsoftonline.com/error?code=\(code.map(String.init) ?? "")"
        }
        // Microsoft's own first line says which case it is (e.g. "The key was not found" vs
        // "The key used is expired"): keep it, then our hint.
        return IdentityError(code: code, status: status, message: "token request refused (\(detail)): \(hint)", isRetryable: false)
    }
}
