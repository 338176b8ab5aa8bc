import GraphClient
import Testing

@Suite struct RetryAfterTests {
    @Test(arguments: [("3", 3.0), (" 0 ", 0.0), ("1.5", 1.5), ("86400", RetryAfter.limit)])
    func usableWaitsAreReadAndCapped(_ header: String, _ expected: Double) {
        #expect(RetryAfter.seconds(header) == expected)
    }

    @Test(arguments: ["inf", "-inf", "nan", "-1", "1e300", "-1e300", "Wed, 21 Oct 2026 07:28:00 GMT", "", "soon"])
    func hostileOrUnusableHeadersAreIgnored(_ header: String) {
        let value = RetryAfter.seconds(header)
        #expect(value == nil || value == RetryAfter.limit, "\(header) → \(String(describing: value))")
        if let value { #expect(value.isFinite && value >= 0) }
    }
}
