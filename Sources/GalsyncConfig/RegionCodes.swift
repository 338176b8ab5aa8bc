import Foundation

/// A user's region for phone numbers without a country code: `usageLocation` is already an
/// ISO 3166-1 alpha-2 code; `country` is free text ("United States", "Deutschland", "UK"),
/// looked up among the region names in English and in the region's own language.
public enum RegionCodes {
    /// The ISO code for `text`: a two-letter code as it is, else a region's name; nil when unknown.
    public static func code(_ text: String?) -> String? {
        guard let t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { return nil }
        if let named = byName[t.lowercased()] { return named }
        return t.count == 2 && codes.contains(t.uppercased()) ? t.uppercased() : nil
    }

    /// ISO 3166-1 alpha-2 codes (libphonenumber's regions are these).
    public static let codes = Set(Locale.Region.isoRegions.map(\.identifier).filter { $0.count == 2 })

    /// Lowercased region name → code, built once (about 250 regions, a few names each).
    static let byName: [String: String] = {
        var out: [String: String] = ["usa": "US", "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "uae": "AE"]
        let english = Locale(identifier: "en_US")
        for region in Locale.Region.isoRegions where region.identifier.count == 2 {
            let code = region.identifier
            if let name = english.localizedString(forRegionCode: code) { out[name.lowercased()] = out[name.lowercased()] ?? code }
        }
        for (name, code) in native { out[name] = out[name] ?? code }
        return out
    }()

    /// Names directories often hold in the country's own language.
    static let native: [String: String] = [
        "deutschland": "DE", "österreich": "AT", "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "france": "FR", "españa": "ES",
        "italia": "IT", "nederland": "NL", "belgië": "BE", "belgique": "BE", "danmark": "DK", "sverige": "SE", "norge": "NO",
        "suomi": "FI", "polska": "PL", "česko": "CZ", "magyarország": "HU", "brasil": "BR", "méxico": "MX", "日本": "JP",
    ]
}
