import GalsyncConfig
import Testing

/// A user's region for phone numbers: ISO codes as they are, country names in English and in
/// the country's own language.
@Suite struct RegionCodesTests {
    @Test func regionsComeFromCodesAndCountryNames() {
        #expect(RegionCodes.code("us") == "US" && RegionCodes.code("United States") == "US" && RegionCodes.code("Germany") == "DE")
        #expect(RegionCodes.code("Deutschland") == "DE" && RegionCodes.code("UK") == "GB" && RegionCodes.code("United Kingdom") == "GB")
        #expect(RegionCodes.code("Atlantis") == nil && RegionCodes.code("") == nil && RegionCodes.code(nil) == nil)
    }
}
