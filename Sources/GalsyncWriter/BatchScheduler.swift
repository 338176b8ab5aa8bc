import Foundation
import GalsyncPlan

/// Decides which operations go into the next `$batch`: a pure, synchronous state machine
/// (events in, batches out) kept inside `BatchQueue`. Mailboxes take turns (round-robin), a
/// mailbox is in at most one batch at a time (so it never sees more than 4 concurrent
/// operations), a paused mailbox (after 429) waits out its `Retry-After`, and small mailboxes
/// share batches, so that one change in 1,000 mailboxes costs 50 requests, not 1,000; and a
/// mailbox sends only while `MailboxRateModel` says it is under its learned request rate.
struct BatchScheduler {
    struct Pending: Sendable {
        var owner: String
        var op: MailboxPlan.Operation
        var attempt: Int
        /// Times Graph answered this operation 429 (not counted in `attempt`: it was not carried out).
        var throttled = 0
    }

    /// A mailbox's work: retries first, then its plan's operations from `next` on (the plan's
    /// array is shared, not copied: `Pending` values are made only when a batch takes them).
    struct MailboxQueue {
        var retries: [Pending] = []
        var ops: [MailboxPlan.Operation] = []
        var next = 0
        var isEmpty: Bool { retries.isEmpty && next >= ops.count }
        var count: Int { retries.count + ops.count - next }

        mutating func take(_ n: Int, owner: String) -> [Pending] {
            var out = Array(retries.prefix(n))
            retries.removeFirst(out.count)
            let fresh = min(n - out.count, ops.count - next)
            out += ops[next..<next + fresh].map { Pending(owner: owner, op: $0, attempt: 1) }
            next += fresh
            return out
        }
    }

    private(set) var queues: [String: MailboxQueue] = [:]
    private var order: [String] = []
    private var cursor = 0
    private(set) var inFlight: Set<String> = []
    private var pausedUntil: [String: ContinuousClock.Instant] = [:]
    private(set) var rate = MailboxRateModel()
    /// How many batches may be in flight (`InFlightLimit`).
    private(set) var flights: InFlightLimit
    /// Each batch in flight, under each of its mailboxes: when it left, its size, its generation.
    private var flying: [String: (sentAt: ContinuousClock.Instant, count: Int, generation: Int)] = [:]
    private(set) var batchesInFlight = 0
    let batchSize: Int

    init(batchSize: Int = 20, maxInFlight: Int = .max, ceiling: Double = InFlightLimit.graphCeiling) {
        self.batchSize = batchSize
        self.flights = InFlightLimit(maximum: maxInFlight, ceiling: ceiling)
    }

    mutating func add(owner: String, _ ops: [MailboxPlan.Operation]) {
        guard !ops.isEmpty else { return }
        if queues[owner] == nil { order.append(owner) }
        var queue = queues[owner, default: MailboxQueue()]
        if queue.isEmpty { queue = MailboxQueue(retries: queue.retries, ops: ops, next: 0) } else { queue.ops = Array(queue.ops[queue.next...]) + ops; queue.next = 0 }
        queues[owner] = queue
    }

    var isDone: Bool { queues.values.allSatisfy(\.isEmpty) && inFlight.isEmpty }

    /// The next batch to send now, or nil (then `wakeAt` says when one may be ready).
    mutating func next(now: ContinuousClock.Instant) -> [Pending]? {
        guard !order.isEmpty, batchesInFlight < flights.limit else { return nil }
        var batch: [Pending] = []
        var taken: Set<String> = []
        for step in 0..<order.count {
            let owner = order[(cursor + step) % order.count]
            guard !inFlight.contains(owner), let waiting = queues[owner]?.count, waiting > 0 else { continue }
            if let until = pausedUntil[owner], until > now { continue }
            let n = min(batchSize - batch.count, waiting, rate.room(owner, now: now))
            guard n > 0 else { continue }
            batch += queues[owner]!.take(n, owner: owner)
            rate.sent(owner, count: n, at: now)
            taken.insert(owner)
            if batch.count == batchSize {
                cursor = (cursor + step + 1) % order.count
                break
            }
        }
        guard !batch.isEmpty else { return nil }
        inFlight.formUnion(taken)
        batchesInFlight += 1
        for owner in taken { flying[owner] = (now, batch.count, flights.generation) }
        return batch
    }

    /// When the earliest waiting mailbox may go again: the later of its `Retry-After` pause and
    /// its room under the learned rate (nil when none waits).
    mutating func wakeAt(now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        var wake: ContinuousClock.Instant?
        for (owner, queue) in queues where !queue.isEmpty && !inFlight.contains(owner) {
            let times = [pausedUntil[owner], rate.nextRoom(owner, now: now)].compactMap { $0 }
            guard let t = times.max() else { continue }
            wake = min(wake ?? t, t)
        }
        return wake
    }

    /// A batch came back: its mailboxes are free again; `retry` goes to the front of their
    /// queues; `pause` holds a mailbox until the given time; `refused` counts each mailbox's
    /// items Graph answered 429, and `rateLimited` holds the `Retry-After` of a mailbox refused
    /// for its request rate (what `MailboxRateModel` learns from); `globallyThrottled` when Graph
    /// refused some of it for the app's global limit (what `InFlightLimit` learns from).
    mutating func complete(owners: Set<String>, retry: [Pending], pause: [String: ContinuousClock.Instant],
                           refused: [String: Int] = [:], rateLimited: [String: Double] = [:], globallyThrottled: Bool = false,
                           now: ContinuousClock.Instant = .now) {
        if let flight = owners.compactMap({ flying[$0] }).first {
            let elapsed = (now - flight.sentAt).components
            flights.completed(count: flight.count, elapsed: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18,
                              inFlight: batchesInFlight, globallyThrottled: globallyThrottled, generation: flight.generation)
            batchesInFlight -= 1
        }
        for owner in owners { flying[owner] = nil }
        inFlight.subtract(owners)
        for owner in owners {
            rate.completed(owner, refused: refused[owner] ?? 0, rateRetryAfter: rateLimited[owner], now: now)
        }
        for p in retry.reversed() where !abandoned.contains(p.owner) { queues[p.owner, default: MailboxQueue()].retries.insert(p, at: 0) }
        for (owner, until) in pause { pausedUntil[owner] = max(pausedUntil[owner] ?? until, until) }
    }

    /// Drops a mailbox's remaining work (it failed for good this cycle).
    mutating func abandon(_ owner: String) {
        queues[owner] = MailboxQueue()
        abandoned.insert(owner)
    }
    private var abandoned: Set<String> = []
}

/// The actor around `BatchScheduler` that workers pull batches from; a worker with nothing to
/// do waits until a batch completes or a pause ends.
actor BatchQueue {
    private var scheduler: BatchScheduler
    private var waiters: [CheckedContinuation<Void, Never>] = []

    private let onWait: @Sendable () -> Void

    init(_ scheduler: BatchScheduler, onWait: @escaping @Sendable () -> Void = {}) {
        self.scheduler = scheduler
        self.onWait = onWait
    }

    func next() async -> [BatchScheduler.Pending]? {
        while true {
            if Task.isCancelled || closed { return nil }
            let now = ContinuousClock.now
            if let batch = scheduler.next(now: now) { return batch }
            if scheduler.isDone { wakeAll(); return nil }
            if scheduler.inFlight.isEmpty, let wake = scheduler.wakeAt(now: now) {
                // A deliberate wait (Retry-After, or a mailbox's learned rate: up to Graph's
                // 10-minute window) in slices, each one reported so the watchdog sees a live loop.
                let slice = min(wake, now + .seconds(30))
                try? await Task.sleep(until: slice, clock: .continuous)
                onWait()
                continue
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Ends the queue (a worker failed, or the cycle stops): every waiting and later `next()`
    /// returns nil.
    func close() {
        closed = true
        wakeAll()
    }
    private var closed = false

    func complete(owners: Set<String>, retry: [BatchScheduler.Pending], pause: [String: ContinuousClock.Instant],
                  refused: [String: Int] = [:], rateLimited: [String: Double] = [:], globallyThrottled: Bool = false) {
        scheduler.complete(owners: owners, retry: retry, pause: pause, refused: refused, rateLimited: rateLimited, globallyThrottled: globallyThrottled)
        wakeAll()
    }

    func abandon(_ owner: String) { scheduler.abandon(owner) }

    private func wakeAll() {
        let w = waiters
        waiters = []
        for c in w { c.resume() }
    }
}
