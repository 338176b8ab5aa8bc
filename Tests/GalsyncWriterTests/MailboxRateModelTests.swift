import GalsyncPlan
@testable import GalsyncWriter
import Testing

@Suite struct MailboxRateModelTests {
    let t0 = ContinuousClock.now

    @Test func nothingIsPacedUntilGraphRefusesForRate() {
        var m = MailboxRateModel()
        m.sent("a", count: 10_000, at: t0)
        #expect(m.room("a", now: t0) == .max)
        // A refusal for concurrency (no rate signal) teaches nothing.
        m.completed("a", refused: 3, rateRetryAfter: nil, now: t0)
        #expect(m.limit == nil && m.room("a", now: t0) == .max)
    }

    @Test func theFirstRateRefusalSetsLimitAndWindowForEveryMailbox() {
        var m = MailboxRateModel()
        m.sent("a", count: 100, at: t0)
        m.sent("a", count: 20, at: t0 + .seconds(10))
        // 15 of the last 20 were refused; Graph says the oldest leaves the window in 50 s.
        m.completed("a", refused: 15, rateRetryAfter: 50, now: t0 + .seconds(10))
        #expect(m.limit == 101)  // 105 fitted, less 3 %
        #expect(m.window == .seconds(60) + .milliseconds(100))
        #expect(m.room("a", now: t0 + .seconds(10)) == 0)
        #expect(m.nextRoom("a", now: t0 + .seconds(10)) == t0 + .milliseconds(60_100))
        // Once the first 100 have left the window, the 5 of t0+10 s remain.
        #expect(m.room("a", now: t0 + .seconds(61)) == 96)
        // Another mailbox is paced by what "a" taught.
        m.sent("b", count: 101, at: t0 + .seconds(20))
        #expect(m.room("b", now: t0 + .seconds(21)) == 0)
        #expect(m.room("c", now: t0 + .seconds(21)) == 101)
    }

    @Test func aLaterRefusalShrinksTheLimitOnlyForBatchesSentUnderIt() {
        var m = MailboxRateModel()
        m.sent("a", count: 100, at: t0)
        m.sent("b", count: 20, at: t0 + .milliseconds(500))  // in flight when "a" is refused
        m.completed("a", refused: 0, rateRetryAfter: 30, now: t0 + .seconds(1))
        #expect(m.limit == 97)
        // "b" went out before the estimate: its refusal says nothing about it.
        m.completed("b", refused: 5, rateRetryAfter: 30, now: t0 + .seconds(2))
        #expect(m.limit == 97)
        // Sent under the estimate and still refused: the estimate was high.
        m.sent("c", count: 20, at: t0 + .seconds(3))
        m.completed("c", refused: 1, rateRetryAfter: 30, now: t0 + .seconds(4))
        #expect(m.limit == 87)
        // A second batch sent before that shrink changes nothing either.
        m.completed("b", refused: 1, rateRetryAfter: 30, now: t0 + .seconds(5))
        #expect(m.limit == 87)
    }

    @Test func theSchedulerHoldsAMailboxAtItsLearnedRateAndWakesWhenRoomReturns() {
        var s = BatchScheduler()
        let ops: [MailboxPlan.Operation] = (0..<200).map { .delete(contactId: "c\($0)", userId: "u\($0)") }
        s.add(owner: "a", ops)
        let first = s.next(now: t0)!
        #expect(first.count == 20)
        // Graph took 12 and refused 8 for rate, with a 30 s wait.
        s.complete(owners: ["a"], retry: Array(first.suffix(8)), pause: ["a": t0 + .seconds(30)],
                   refused: ["a": 8], rateLimited: ["a": 30], now: t0 + .seconds(1))
        #expect(s.rate.limit == 11)
        #expect(s.next(now: t0 + .seconds(2)) == nil)
        let wake = s.wakeAt(now: t0 + .seconds(2))
        #expect(wake == t0 + .milliseconds(31_100), "the pause ends at 30 s, but the window only at 31.1 s")
        let next = s.next(now: t0 + .milliseconds(31_100))
        #expect(next?.count == 11, "no more than the learned limit in one window")
    }

    /// Until a limit is learned, one mailbox probes past what any mailbox had accepted (at
    /// least a batch); the others catch up to that and wait, so a first wall costs one batch,
    /// not one per mailbox.
    @Test func beforeAnyRefusalOneMailboxLeadsAndTheOthersFollowWhatItProved() {
        var m = MailboxRateModel()
        #expect(m.room("a", now: t0) == 20 && m.room("b", now: t0) == 20, "a batch each, without probing")
        m.sent("a", count: 20, at: t0)
        m.sent("b", count: 20, at: t0)
        #expect(m.room("a", now: t0) == .max, "the first past what is proven probes")
        #expect(m.room("b", now: t0) == 0, "b waits while a probes")
        m.sent("a", count: 20, at: t0)
        m.completed("b", refused: 0, rateRetryAfter: nil, now: t0 + .seconds(1))
        m.completed("a", refused: 0, rateRetryAfter: nil, now: t0 + .seconds(1))
        #expect(m.proven == 40 && m.probe == nil)
        #expect(m.room("b", now: t0 + .seconds(1)) == 20, "b may send what a showed fits")
        m.sent("b", count: 20, at: t0 + .seconds(1))
        #expect(m.room("b", now: t0 + .seconds(1)) == .max, "b reached what is proven and no one probes: b probes")
        #expect(m.room("a", now: t0 + .seconds(1)) == 0, "a waits while b probes")
        // b's probe meets the wall: 5 of 20 refused for rate; the limit is learned from it.
        m.sent("b", count: 20, at: t0 + .seconds(2))
        m.completed("b", refused: 5, rateRetryAfter: 9, now: t0 + .seconds(3))
        #expect(m.limit == 53 && m.probe == nil)  // 55 fitted, less 3 %
        #expect(m.room("a", now: t0 + .seconds(3)) == 13)
    }

    /// Break-it guard for the lockstep case: 20 mailboxes asking at once get one probe between them.
    @Test func manyMailboxesInStepGetOneProbe() {
        var s = BatchScheduler()
        for i in 0..<20 { s.add(owner: "m\(i)", (0..<150).map { .delete(contactId: "m\(i)-\($0)", userId: "\($0)") }) }
        var batches: [[BatchScheduler.Pending]] = []
        while let b = s.next(now: t0) { batches.append(b) }
        #expect(batches.count == 20, "a first batch each: \(batches.count)")
        for b in batches { s.complete(owners: Set(b.map(\.owner)), retry: [], pause: [:], now: t0 + .seconds(1)) }
        batches = []
        while let b = s.next(now: t0 + .seconds(1)) { batches.append(b) }
        #expect(batches.count == 1, "then one probe goes past 20 items while the others wait: \(batches.count) batches")
    }
}
