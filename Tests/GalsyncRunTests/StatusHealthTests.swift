import Foundation
@testable import GalsyncRun
import SyncStore
import Testing

/// `status --check`: the contract's rules, level by level.
@Suite struct StatusHealthTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func cycle(_ id: Int64, minutesAgo: Double, outcome: String?, took: Double = 1) -> StateStore.CycleRecord {
        var c = StateStore.CycleRecord(id: id, started: now - minutesAgo * 60)
        c.outcome = outcome
        c.finished = outcome == nil ? nil : c.started + took * 60
        return c
    }

    func assess(_ cycles: [StateStore.CycleRecord], running: StateLockHolder? = nil, failing: [String] = [], pending: Int = 0, days: Int? = 200) -> StatusHealth {
        StatusHealth.assess(cycles: cycles, lastSuccess: cycles.first { ["ok", "partial"].contains($0.outcome ?? "") }, running: running,
                            failing: failing, pending: pending, certificateDays: days, interval: 900, now: Self.now)
    }

    @Test func healthy() {
        let h = assess([Self.cycle(3, minutesAgo: 10, outcome: "ok")])
        #expect(h.level == .ok && h.line.hasPrefix("GALSYNC OK: last cycle #3 "), "\(h.line)")
    }

    @Test func warnings() {
        #expect(assess([Self.cycle(3, minutesAgo: 10, outcome: "partial")], failing: ["alice@contoso.com"]).line
            == "GALSYNC WARNING: 1 mailbox failed (alice@contoso.com)")
        #expect(assess([Self.cycle(3, minutesAgo: 10, outcome: "ok")], days: 12).level == .warning)
        #expect(assess([Self.cycle(4, minutesAgo: 5, outcome: "error"), Self.cycle(3, minutesAgo: 20, outcome: "ok")]).level == .warning)
        let killed = assess([Self.cycle(4, minutesAgo: 5, outcome: nil), Self.cycle(3, minutesAgo: 20, outcome: "ok")])
        #expect(killed.level == .warning && killed.line.contains("killed"), "\(killed.line)")
        let running = assess([Self.cycle(4, minutesAgo: 5, outcome: nil), Self.cycle(3, minutesAgo: 20, outcome: "ok")],
                             running: StateLockHolder(pid: 9, command: "galsync run"))
        #expect(running.level == .ok, "a cycle under way is not a problem: \(running.line)")
        #expect(assess([Self.cycle(3, minutesAgo: 10, outcome: "ok")], pending: 4).level == .warning)
        #expect(assess([Self.cycle(3, minutesAgo: 10, outcome: "interrupted")] + [Self.cycle(2, minutesAgo: 30, outcome: "ok")]).level == .ok,
                "a stop (SIGTERM) is not a failure")
    }

    @Test func criticals() {
        // interval 15 min: the window is 1 h (3 × 15 min is less).
        let stale = assess([Self.cycle(9, minutesAgo: 5, outcome: "error"), Self.cycle(8, minutesAgo: 70, outcome: "ok")])
        #expect(stale.level == .critical && stale.line.contains("no cycle succeeded for"), "\(stale.line)")
        #expect(assess([Self.cycle(3, minutesAgo: 10, outcome: "ok")], days: -2).line.contains("EXPIRED 2 days ago"))
        #expect(assess([Self.cycle(3, minutesAgo: 10, outcome: "ok")], days: -2).level == .critical)
        #expect(assess([Self.cycle(2, minutesAgo: 5, outcome: "error"), Self.cycle(1, minutesAgo: 90, outcome: "error")]).level == .critical)
    }

    @Test func unknownBeforeTheFirstCycle() {
        #expect(assess([]).level == .unknown)
    }
}
