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
        switch error {
        case let g as GraphError where g.isRetryable: return min(maxDelay, g.retryAfter ?? backoff)
        case let t as HTTPTransportError where t.retryable: return backoff
        case let i as IdentityError where i.isRetryable: return min(maxDelay, i.retryAfter ?? backoff)
        default: return nil
        }
    }
}
