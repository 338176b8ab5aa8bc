import Foundation
import GalsyncPlan
@testable import GalsyncWriter
import Testing

@Suite struct InFlightLimitTests {
    @Test func untilABatchComesBackTheMaximumHolds() {
        #expect(InFlightLimit(maximum: 256).limit == 256)
        #expect(InFlightLimit(maximum: 0).limit == 1)
    }

    /// At Graph's latency (250 ms per item, 5 rounds of 4 for 20 items) the global ceiling
    /// allows far more than the maximum; on a loopback that answers a batch in 10 ms, a few.
    @Test func theGlobalCeilingCapsBatchesByTheirObservedDuration() {
        var slow = InFlightLimit(maximum: 256)
        for _ in 0..<5 { slow.completed(count: 20, elapsed: 1.25, inFlight: 40, globallyThrottled: false, generation: 0) }
        #expect(slow.limit == 256)
        var fast = InFlightLimit(maximum: 256)
        for _ in 0..<5 { fast.completed(count: 20, elapsed: 0.01, inFlight: 40, globallyThrottled: false, generation: 0) }
        // 2 × 13,000 items/s × 0.01 s ÷ 20 items = 13 batches.
        #expect(fast.limit == 13)
        var tiny = InFlightLimit(maximum: 256)
        tiny.completed(count: 20, elapsed: 0.0001, inFlight: 1, globallyThrottled: false, generation: 0)
        #expect(tiny.limit == 4, "never fewer than 4 for the ceiling alone")
    }

    /// A global 429 halves what was in flight; refusals of batches sent before that say nothing
    /// new; each batch answered without one adds one back.
    @Test func aGlobalRefusalHalvesOnceAndTheLimitGrowsBack() {
        var l = InFlightLimit(maximum: 64)
        l.completed(count: 20, elapsed: 1.25, inFlight: 40, globallyThrottled: true, generation: 0)
        #expect(l.limit == 20)
        for inFlight in (30...39).reversed() {
            l.completed(count: 20, elapsed: 1.25, inFlight: inFlight, globallyThrottled: true, generation: 0)
        }
        #expect(l.limit == 20, "the burst sent before the decrease counts once")
        l.completed(count: 20, elapsed: 1.25, inFlight: 20, globallyThrottled: true, generation: 1)
        #expect(l.limit == 10, "a refusal of a batch sent under the new limit halves again")
        for _ in 0..<5 { l.completed(count: 20, elapsed: 1.25, inFlight: 10, globallyThrottled: false, generation: 2) }
        #expect(l.limit == 15)
        for _ in 0..<100 { l.completed(count: 20, elapsed: 1.25, inFlight: 10, globallyThrottled: false, generation: 2) }
        #expect(l.limit == 64)
    }

    /// The scheduler sends no more batches than the limit, and one more when one comes back.
    @Test func theSchedulerKeepsToTheLimit() {
        var s = BatchScheduler(maxInFlight: 2)
        for owner in ["a", "b", "c"] {
            s.add(owner: owner, (0..<25).map { .delete(contactId: "\(owner)-\($0)", userId: "\(owner)-\($0)") })
        }
        let now = ContinuousClock.now
        let first = s.next(now: now), second = s.next(now: now)
        #expect(first?.count == 20 && second?.count == 20)
        #expect(s.next(now: now) == nil, "two batches are in flight, the limit")
        #expect(s.batchesInFlight == 2)
        s.complete(owners: Set(first!.map(\.owner)), retry: [], pause: [:], now: now + .milliseconds(1250))
        let third = s.next(now: now + .milliseconds(1250))
        #expect(third != nil && s.batchesInFlight == 2)
    }
}
