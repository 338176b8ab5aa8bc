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
        #expect(m.window == .seconds(60) + .milliseconds(500))
        #expect(m.room("a", now: t0 + .seconds(10)) == 0)
        #expect(m.nextRoom("a", now: t0 + .seconds(10)) == t0 + .milliseconds(60_500))
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
        #expect(wake == t0 + .milliseconds(31_500), "the pause ends at 30 s, but the window only at 31.5 s")
        let next = s.next(now: t0 + .milliseconds(31_500))
        #expect(next?.count == 11, "no more than the learned limit in one window")
    }
}
