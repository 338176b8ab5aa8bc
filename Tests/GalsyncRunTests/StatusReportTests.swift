@testable import GalsyncRun
import Testing

@Suite struct StatusReportTests {
    /// Issue 13: "expires in N days" or "EXPIRED N days ago", never "-2 days left".
    @Test(arguments: [
        (200, "expires in 200 days"), (29, "expires in 29 days: renew soon"), (1, "expires tomorrow"), (0, "expires today"),
        (-1, "EXPIRED less than 2 days ago"), (-2, "EXPIRED 2 days ago"),
    ])
    func theCertificateSaysWhenItExpires(days: Int, expected: String) {
        let text = StatusReport.certificateState(days)
        #expect(text.hasPrefix(expected), "\(text)")
        #expect(!text.contains("-"), "no negative day counts: \(text)")
    }
}
