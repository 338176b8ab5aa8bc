import Foundation
/// Reads a `Retry-After` header as Graph sends it (delay-seconds) into a wait galsync can use:
/// a number of seconds that is finite, not negative and at most `limit`. Anything else
/// (`inf`, `nan`, `-5`, `1e300`, an HTTP date) gives nil, and the caller's own backoff applies:
/// a hostile or broken header can neither crash galsync nor park a mailbox for a day.
public enum RetryAfter {
    /// Longer waits than this are cut to it: a cycle should not stall on one answer.
    public static let limit = 120.0

    public static func seconds(_ header: String?) -> Double? {
        guard let header, let value = Double(header.trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0 else { return nil }
        return min(value, limit)
    }
}
