import GalsyncPhone
import Testing

/// libphonenumber through the C shim: formats, regions, extensions, and numbers it cannot parse.
@Suite struct PhoneNumbersTests {
    @Test(arguments: [
        ("+1 (425) 555-0100", nil, false, "+14255550100"),
        ("+1 (425) 555-0100", nil, true, "+1 425-555-0100"),
        ("(425) 555-0100", "US", false, "+14255550100"),
        ("020 7946 0958", "GB", true, "+44 20 7946 0958"),
        ("0171 1234567", "DE", false, "+491711234567"),
        ("+44 7700 900123", "US", false, "+447700900123"),  // a country code wins over the region
        ("+1 425 555 0100 x123", nil, true, "+1 425-555-0100 ext. 123"),
        ("+1 425 555 0100 ext. 123", nil, false, "+14255550100 ext. 123"),
    ] as [(String, String?, Bool, String)])
    func aNumberIsFormattedForCallerID(_ number: String, _ region: String?, _ international: Bool, _ expected: String) {
        #expect(PhoneNumbers.format(number, region: region, international: international) == expected)
    }

    @Test func aNumberThatDoesNotParseIsNil() {
        #expect(PhoneNumbers.format("(425) 555-0100", region: nil, international: false) == nil, "no country code, no region")
        #expect(PhoneNumbers.format("call reception", region: "US", international: false) == nil)
        #expect(PhoneNumbers.format("", region: "US", international: true) == nil)
        // Internal extensions and short local numbers are not made into numbers of the region.
        for short in ["4567", "x4567", "555-0100", "12"] { #expect(PhoneNumbers.format(short, region: "US", international: false) == nil, "\(short)") }
    }
}
