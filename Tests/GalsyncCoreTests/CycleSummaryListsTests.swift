@testable import GalsyncCore
import Testing

/// A cycle's summary over several lists: counts add up, plans carry their list, a failure says
/// which list, and a mailbox-wide fact is said once.
@Suite struct CycleSummaryListsTests {
    @Test func listsAddUpAndSayTheirNameWhereItMatters() {
        var home = CycleSummary(), vendors = CycleSummary()
        home.created = 3; vendors.created = 30; vendors.deleted = 1
        home.problems = ["m1": "skipped: no Exchange Online mailbox (MailboxNotEnabledForRESTAPI)", "m2": "failed: ErrorAccessDenied"]
        vendors.problems = ["m1": "skipped: no Exchange Online mailbox (MailboxNotEnabledForRESTAPI)", "m2": "failed: ErrorQuotaExceeded"]
        vendors.plans = [.init(owner: "m3", creates: 30, updates: 0, deletes: 1, unchanged: 0, samples: [])]
        vendors.warnings = ["sync would refuse this cycle: …"]
        var all = CycleSummary()
        all.absorb(home, list: "directory")
        all.absorb(vendors, list: "vendors")
        #expect(all.created == 33 && all.deleted == 1)
        #expect(all.problems["m1"] == "skipped: no Exchange Online mailbox (MailboxNotEnabledForRESTAPI)")
        #expect(all.problems["m2"] == "list directory: failed: ErrorAccessDenied; list vendors: failed: ErrorQuotaExceeded")
        #expect(all.plans.map(\.list) == ["vendors"] && all.warnings == ["list vendors: sync would refuse this cycle: …"])
        #expect(all.text.contains("  m3 [vendors]: +30 ~0 -1"), "\(all.text)")
    }

    @Test func severalListsCountEachMailboxOnce() {
        var a = CycleSummary(), b = CycleSummary()
        a.outcomes.ok = ["m1", "m2", "m3"]; a.mailboxesOK = 3
        b.outcomes.ok = ["m1", "m2"]; b.outcomes.failed = ["m3"]; b.outcomes.pending = ["m4"]; b.outcomes.skipped = ["m5"]
        b.mailboxesOK = 2; b.mailboxesFailed = 1; b.mailboxesSkipped = 1
        var all = CycleSummary()
        all.absorb(a, list: "directory"); all.absorb(b, list: "vendors")
        #expect(all.mailboxesOK == 5 && all.mailboxesFailed == 1)
        all.countingMailboxesOnce()
        #expect(all.mailboxesOK == 2 && all.mailboxesFailed == 1 && all.mailboxesSkipped == 1, "m3 failed in one list: not ok")
    }
}
