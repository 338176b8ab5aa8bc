/// How many `$batch` requests the writer keeps in flight: a pure value (events in, limit out),
/// no clock of its own.
///
/// Graph runs at most 4 items of a batch at a time and `BatchScheduler` puts a mailbox in one
/// batch at most, so what more batches in flight buy is more *mailboxes* working at once: up to
/// one batch per mailbox with work (the scheduler's own bound), capped by
/// - `maximum`, what the operator allows (`sync.concurrency / 4`);
/// - the global per-app ceiling (`ceiling` items per second; Microsoft documents 130,000
///   requests per 10 s per app across all tenants): at the observed seconds and items per
///   batch, more than `ceiling × seconds ÷ items` batches in flight (twice that, for margin)
///   would only meet 429s. At 250 ms per item that is hundreds of batches; on a loopback
///   simulator that answers in milliseconds, a few dozen;
/// - after a 429 that was not a mailbox's own (the global limit, or the whole `$batch`
///   refused), half the batches then in flight, growing back by one per batch answered
///   without one (additive increase, multiplicative decrease). Refusals of batches sent before
///   the last decrease say nothing about the new limit and are ignored (`generation`);
///   otherwise a burst of 16 refused batches would halve it 16 times.
package struct InFlightLimit: Sendable {
    package let maximum: Int
    /// Items per second the app may send in all (Graph's global per-app limit).
    package let ceiling: Double
    /// Moving averages of a batch's seconds in flight and its items (nil until one came back).
    private(set) var seconds: Double?
    private(set) var items: Double?
    /// The lowered limit after a global 429, until it has grown back to the others.
    private(set) var backoff: Int?
    /// Counts decreases; a batch carries the generation it was sent in.
    package private(set) var generation = 0

    package static let graphCeiling = 130_000.0 / 10

    package init(maximum: Int, ceiling: Double = InFlightLimit.graphCeiling) {
        self.maximum = max(1, maximum)
        self.ceiling = ceiling
    }

    /// Batches that may be in flight now.
    package var limit: Int {
        var n = maximum
        if let seconds, let items, items > 0 {
            let needed = 2 * ceiling * seconds / items
            n = min(n, max(4, Int(needed.rounded(.up))))
        }
        if let backoff { n = min(n, backoff) }
        return max(1, n)
    }

    /// A batch of `count` items, sent in `generation`, came back after `elapsed` seconds, with
    /// `inFlight` batches out (itself included); `globallyThrottled` when Graph refused some of
    /// it for the app's global limit rather than a mailbox's.
    package mutating func completed(count: Int, elapsed: Double, inFlight: Int, globallyThrottled: Bool, generation sent: Int) {
        let weight = 0.2
        seconds = seconds.map { $0 + weight * (elapsed - $0) } ?? elapsed
        items = items.map { $0 + weight * (Double(count) - $0) } ?? Double(count)
        if globallyThrottled {
            guard sent == generation else { return }
            backoff = max(1, min(backoff ?? Int.max, inFlight / 2))
            generation += 1
        } else if let b = backoff {
            backoff = b + 1
            if b + 1 >= maximum { backoff = nil }
        }
    }
}
