import Foundation
import GalsyncJSON

/// Outlook's and Graph's throttling, as a pure state machine: events (`admit`, `release`) return
/// decisions, with no I/O, so it can be tested on its own.
///
/// Per app per mailbox: at most `mailboxConcurrency` requests in flight and `mailboxRequests`
/// per sliding `mailboxWindowSeconds`; per app: `globalRequests` per `globalWindowSeconds`.
public struct ThrottleState: Sendable {
    public enum Decision: Sendable, Equatable {
        case admitted
        /// Over the concurrency limit: Outlook's `ApplicationThrottled` / MailboxConcurrency.
        case concurrency(retryAfter: Double)
        /// Over a request-rate limit.
        case rate(retryAfter: Double, global: Bool)
    }

    public struct Key: Hashable, Sendable { let app: String; let mailbox: String }

    private var inFlight: [Key: Int] = [:]
    private var mailboxWindows: [Key: SlidingWindow] = [:]
    private var globalWindows: [String: SlidingWindow] = [:]
    /// Highest number of concurrent requests ever admitted per mailbox.
    public private(set) var highestConcurrency: [String: Int] = [:]

    public init() {}

    /// Admits one global (non-mailbox) request for `app` or says why not.
    public mutating func admitGlobal(app: String, now: Date, settings: SimulatorSettings) -> Decision {
        // Mutated in place: a copy out of the dictionary would share the ring's storage and make
        // every `record` copy all of its (up to 130,000) stamps.
        if let wait = globalWindows[app, default: SlidingWindow()].wait(now: now, limit: settings.globalRequests, span: settings.globalWindowSeconds) {
            return .rate(retryAfter: wait, global: true)
        }
        globalWindows[app]!.record(now)
        return .admitted
    }

    /// Admits one request to `mailbox`: counts it in flight until `release`.
    public mutating func admitMailbox(app: String, mailbox: String, now: Date, settings: SimulatorSettings) -> Decision {
        let key = Key(app: app, mailbox: mailbox)
        if inFlight[key, default: 0] >= settings.mailboxConcurrency {
            return .concurrency(retryAfter: 1)
        }
        if let wait = mailboxWindows[key, default: SlidingWindow()].wait(now: now, limit: settings.mailboxRequests, span: settings.mailboxWindowSeconds) {
            return .rate(retryAfter: wait, global: false)
        }
        mailboxWindows[key]!.record(now)
        let count = inFlight[key, default: 0] + 1
        inFlight[key] = count
        highestConcurrency[mailbox] = max(highestConcurrency[mailbox, default: 0], count)
        return .admitted
    }

    public mutating func release(app: String, mailbox: String) {
        let key = Key(app: app, mailbox: mailbox)
        inFlight[key] = max(0, inFlight[key, default: 0] - 1)
    }

    public mutating func resetHighWater() { highestConcurrency = [:] }
}

/// The times of the last `limit` admitted requests, in a ring: whether one more fits is one
/// comparison with the oldest of them (a global window holds 130,000 stamps; scanning and
/// compacting an array of them was a tenth of the simulator's time).
public struct SlidingWindow: Sendable {
    private var ring: [Date] = []
    /// Index of the oldest stamp (0 until the ring is full).
    private var start = 0
    private var capacity = 0

    /// Seconds until one more request fits, or nil when it fits now.
    public mutating func wait(now: Date, limit: Int, span: Double) -> Double? {
        guard limit > 0 else { return span }
        if limit != capacity { resize(limit) }
        guard ring.count == capacity else { return nil }
        let age = now.timeIntervalSince(ring[start])
        return age >= span ? nil : max(0.001, span - age)
    }

    /// Records an admitted request (after a `wait` that said it fits).
    public mutating func record(_ now: Date) {
        guard capacity > 0 else { return }
        if ring.count < capacity {
            ring.append(now)
        } else {
            ring[start] = now
            start = (start + 1) % ring.count
        }
    }

    /// The limit changed (a settings update): keep the newest stamps, oldest first.
    private mutating func resize(_ limit: Int) {
        let ordered = Array(ring[start...] + ring[..<start])
        ring = Array(ordered.suffix(limit))
        start = 0
        capacity = limit
    }
}
