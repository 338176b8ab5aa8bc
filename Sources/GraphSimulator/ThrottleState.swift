import Foundation

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

    struct Key: Hashable { let app: String; let mailbox: String }

    private var inFlight: [Key: Int] = [:]
    private var mailboxWindows: [Key: SlidingWindow] = [:]
    private var globalWindows: [String: SlidingWindow] = [:]
    /// Highest number of concurrent requests ever admitted per mailbox.
    public private(set) var highestConcurrency: [String: Int] = [:]

    public init() {}

    /// Admits one global (non-mailbox) request for `app` or says why not.
    public mutating func admitGlobal(app: String, now: Date, settings: SimulatorSettings) -> Decision {
        var window = globalWindows[app, default: SlidingWindow()]
        defer { globalWindows[app] = window }
        if let wait = window.wait(now: now, limit: settings.globalRequests, span: settings.globalWindowSeconds) {
            return .rate(retryAfter: wait, global: true)
        }
        window.record(now)
        return .admitted
    }

    /// Admits one request to `mailbox`: counts it in flight until `release`.
    public mutating func admitMailbox(app: String, mailbox: String, now: Date, settings: SimulatorSettings) -> Decision {
        let key = Key(app: app, mailbox: mailbox)
        if inFlight[key, default: 0] >= settings.mailboxConcurrency {
            return .concurrency(retryAfter: 1)
        }
        var window = mailboxWindows[key, default: SlidingWindow()]
        defer { mailboxWindows[key] = window }
        if let wait = window.wait(now: now, limit: settings.mailboxRequests, span: settings.mailboxWindowSeconds) {
            return .rate(retryAfter: wait, global: false)
        }
        window.record(now)
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

/// Timestamps of admitted requests within the last `span` seconds.
struct SlidingWindow: Sendable {
    private var stamps: [Date] = []
    private var head = 0

    /// Seconds until one more request fits, or nil when it fits now.
    mutating func wait(now: Date, limit: Int, span: Double) -> Double? {
        while head < stamps.count, now.timeIntervalSince(stamps[head]) >= span { head += 1 }
        if head > 1024, head * 2 > stamps.count { stamps.removeFirst(head); head = 0 }
        guard stamps.count - head >= limit else { return nil }
        guard limit > 0 else { return span }
        // The request that must fall out of the window before another fits.
        let blocking = stamps[stamps.count - limit]
        return max(0.001, span - now.timeIntervalSince(blocking))
    }

    mutating func record(_ now: Date) { stamps.append(now) }
}
