import Foundation
import GalsyncJSON
import GalsyncPlan
@testable import GalsyncWriter
import Testing

@Suite struct BatchSchedulerTests {
    func ops(_ n: Int, _ tag: String) -> [MailboxPlan.Operation] {
        (0..<n).map { .delete(contactId: "\(tag)-\($0)", userId: "\(tag)-\($0)") }
    }

    @Test func smallMailboxesShareBatchesAndNoMailboxIsInTwoAtOnce() {
        var s = BatchScheduler()
        for i in 0..<50 { s.add(owner: "m\(i)", ops(1, "m\(i)")) }
        s.add(owner: "big", ops(45, "big"))
        let now = ContinuousClock.now
        var batches: [[BatchScheduler.Pending]] = []
        while let b = s.next(now: now) { batches.append(b) }
        #expect(batches.allSatisfy { $0.count <= 20 })
        // 50 one-op mailboxes fill two and a half batches; big tops up the third, then waits
        // for that batch to come back before it may be in another.
        #expect(batches.reduce(0) { $0 + $1.count } == 60)
        #expect(batches.filter { $0.contains { $0.owner == "big" } }.count == 1)
        #expect(batches.count == 3 && batches.allSatisfy { $0.count == 20 })
        #expect(s.inFlight.count == 51)
    }

    @Test func aPausedMailboxWaitsAndRetriesGoFirst() {
        var s = BatchScheduler()
        s.add(owner: "a", ops(3, "a"))
        s.add(owner: "b", ops(2, "b"))
        let now = ContinuousClock.now
        let first = s.next(now: now)!
        #expect(first.count == 5)
        let retried = first.filter { $0.owner == "a" }.prefix(1)
        s.complete(owners: ["a", "b"], retry: Array(retried), pause: ["a": now + .seconds(5)])
        #expect(s.next(now: now) == nil, "a is paused, b is done")
        #expect(s.wakeAt(now: now) == now + .seconds(5))
        let later = s.next(now: now + .seconds(6))
        #expect(later?.map(\.op.userId) == ["a-0"])
    }
}

extension BatchScheduler.Pending: Equatable {
    public static func == (a: Self, b: Self) -> Bool { a.owner == b.owner && a.op == b.op && a.attempt == b.attempt }
}
