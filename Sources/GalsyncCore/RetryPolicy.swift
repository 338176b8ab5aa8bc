import Foundation
import GraphClient
import GraphHTTP

/// How a sequential caller retries one Graph request: `Retry-After` when Graph sends it,
/// otherwise exponential backoff with jitter, for 429, 5xx and dropped connections only, and a
/// bounded number of attempts so that nothing loops forever.
public struct RetryPolicy: Sendable {
    public var attempts = 5
    public var baseDelay = 0.5
    public var maxDelay = 60.0

    /// Retry only answers that prove the request was not carried out (429): for
    /// non-idempotent calls, where a retried 5xx or timeout could make a second copy.
    public var onlyWhenNotProcessed = false

    public init() {}

    public func run<T: Sendable>(_ operation: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await operation()
            } catch {
                guard attempt < attempts, let wait = delay(for: error, attempt: attempt) else { throw error }
                try await Task.sleep(for: .milliseconds(Int(wait * 1000)))
            }
        }
    }

    /// Seconds to wait before trying again, or nil when a retry cannot help.
    func delay(for error: any Error, attempt: Int) -> Double? {
        let backoff = min(maxDelay, baseDelay * pow(2, Double(attempt - 1))) * Double.random(in: 0.5...1.0)
        if onlyWhenNotProcessed {
            guard let g = error as? GraphError, g.status == 429 else { return nil }
            return min(maxDelay, g.retryAfter ?? backoff)
        }
        switch error {
        case let g as GraphError where g.isRetryable: return min(maxDelay, g.retryAfter ?? backoff)
        case let t as HTTPTransportError where t.retryable: return backoff
        case let i as IdentityError where i.isRetryable: return min(maxDelay, i.retryAfter ?? backoff)
        default: return nil
        }
    }
}
