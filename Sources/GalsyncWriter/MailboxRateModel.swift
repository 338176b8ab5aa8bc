/// Paces each mailbox below Exchange's per-app-per-mailbox request-rate limit (10,000 per
/// 10 minutes by Microsoft's documentation, but tenants and the simulator may differ), learned
/// from the service's own answers rather than assumed: a pure value, no clock of its own.
///
/// Until a mailbox is refused for rate, nothing is paced. The first rate refusal tells two
/// things: the mailbox had room for the `n` items admitted so far, and `Retry-After` says when
/// the oldest of them leaves the window, so window ≈ (now − first admitted) + Retry-After.
/// Exchange's limit is the same for every mailbox of the app, so what one mailbox teaches paces
/// all of them: after the first refusal, each mailbox sends only while its own items in the last
/// `window` are under `limit`. A later refusal of a batch sent under the current estimate means
/// the estimate was high: the limit shrinks by a tenth (multiplicative decrease). Refusals of
/// batches sent before the estimate was set or last shrunk say nothing about it and are ignored
/// (with 16 batches in flight, counting them shrank the limit to a fifth at once). Stamps are
/// taken when galsync sends, which is earlier than when Graph counts them, and `Retry-After` is
/// rounded up to whole seconds: both err on the slow side, so the window gets a margin of only
/// 0.1 s.
///
/// Before anything is learned, one mailbox leads (the probe) past the first batch's worth: the
/// others may send only as many items as some mailbox has already had accepted (`proven`, at
/// least a batch, so that small mailboxes still share batches), so that when the limit is met, it
/// is met by one batch of one mailbox, not by a batch of every mailbox at once (20 mailboxes in
/// step each lost a batch's tail to 429 at the first wall: 1.3 % of all items). Followers trail
/// the probe by one batch at most.
struct MailboxRateModel: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// Items a mailbox may have in one window, once learned.
    private(set) var limit: Int?
    /// The window's length, once learned.
    private(set) var window: Duration?
    /// Send times of each mailbox's items that Graph did not refuse (oldest first).
    private var stamps: [String: [Instant]] = [:]
    private var head: [String: Int] = [:]
    /// When each mailbox's latest batch went out (a mailbox has one batch in flight at most).
    private var lastSent: [String: Instant] = [:]
    /// When `limit` was set or last shrunk.
    private var estimatedAt: Instant?
    /// Until a limit is learned: the most items one mailbox had accepted, and the mailbox that
    /// may send beyond that (one at a time).
    private(set) var proven = MailboxRateModel.unprobed
    private(set) var probe: String?
    /// Items every mailbox may send before any has proven more: one full batch.
    static let unprobed = 20
    static let windowMargin = Duration.milliseconds(100)

    /// How many items `owner` may send now: under the learned limit; before anything is learned,
    /// up to `proven`, `Int.max` for the probe, 0 while another mailbox probes.
    mutating func room(_ owner: String, now: Instant) -> Int {
        guard let limit, window != nil else {
            let count = live(owner, now: now)
            if probe == owner { return .max }
            if count < proven { return proven - count }
            if probe == nil { probe = owner; return .max }
            return 0  // another mailbox is finding out whether more fits
        }
        return max(0, limit - live(owner, now: now))
    }

    /// When `owner` will have room for one more item, if it has none now.
    mutating func nextRoom(_ owner: String, now: Instant) -> Instant? {
        guard let limit, let window else { return nil }
        let count = live(owner, now: now)
        guard count >= limit, let list = stamps[owner] else { return nil }
        // The item that must leave the window before another fits.
        return list[list.count - limit] + window
    }

    /// `count` items of `owner` went out at `now`.
    mutating func sent(_ owner: String, count: Int, at now: Instant) {
        stamps[owner, default: []].append(contentsOf: repeatElement(now, count: count))
        lastSent[owner] = now
    }

    /// A batch came back: `refused` of `owner`'s items in it were not counted by Graph (429),
    /// and when one was refused for rate, `retryAfter` is Graph's wait in seconds.
    mutating func completed(_ owner: String, refused: Int, rateRetryAfter retryAfter: Double?, now: Instant) {
        if refused > 0, var list = stamps[owner] {
            list.removeLast(min(refused, list.count - head[owner, default: 0]))
            stamps[owner] = list
        }
        if limit == nil {
            if retryAfter == nil { proven = max(proven, live(owner, now: now)) }
            if probe == owner { probe = nil }
        }
        guard let retryAfter else { return }
        let admitted = live(owner, now: now)
        if let limit, window != nil {
            guard let sentAt = lastSent[owner], let estimatedAt, sentAt >= estimatedAt else { return }
            self.limit = max(1, min(limit - 1, Int(Double(limit) * 0.9)))
            self.estimatedAt = now
            return
        }
        estimatedAt = now
        if let first = stamps[owner]?[head[owner, default: 0]...].first {
            // A margin of 3 % under what fitted, and half a second over the window Graph implied.
            limit = max(1, Int(Double(admitted) * 0.97))
            window = (now - first) + .milliseconds(Int(retryAfter * 1000)) + Self.windowMargin
        } else {
            limit = 1
            window = .milliseconds(Int(retryAfter * 1000)) + Self.windowMargin
        }
    }

    /// Items of `owner` still inside the window (older stamps are dropped).
    private mutating func live(_ owner: String, now: Instant) -> Int {
        guard let list = stamps[owner] else { return 0 }
        var h = head[owner, default: 0]
        if let window { while h < list.count, list[h] + window <= now { h += 1 } }
        if h > 4096, h * 2 > list.count {
            stamps[owner] = Array(list[h...])
            head[owner] = 0
            return list.count - h
        }
        head[owner] = h
        return list.count - h
    }
}
