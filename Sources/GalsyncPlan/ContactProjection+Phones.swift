import GalsyncConfig
import GalsyncJSON
import GalsyncPhone

/// `phone_format`: the phone fields parsed and formatted with libphonenumber before they are
/// hashed, so that turning it on updates each contact once and never again. A number that does
/// not parse is kept as it is.
extension ContactProjection {
    /// The region a user's numbers without a country code are dialled in: `default_region`, else
    /// the user's `usageLocation`, else `country` (a copied contact: its business address's).
    static func phoneRegion(_ user: UserProperties, table: ContactFieldTable) -> String? {
        if !table.defaultRegion.isEmpty { return table.defaultRegion }
        return RegionCodes.code(user.value("usageLocation")?.stringValue)
            ?? RegionCodes.code(user.value("country")?.stringValue)
            ?? RegionCodes.code(user.value("businessAddress")?["countryOrRegion"]?.stringValue)
    }

    static func formatPhones(_ values: inout [JSONValue], user: UserProperties, table: ContactFieldTable) {
        let region = phoneRegion(user, table: table)
        let international = table.phoneFormat == .international
        func format(_ v: JSONValue) -> JSONValue {
            guard case .string(let number) = v else { return v }
            return .string(PhoneNumbers.format(number, region: region, international: international) ?? number)
        }
        for i in table.phoneIndexes {
            switch values[i] {
            case .string: values[i] = format(values[i])
            case .array(let items): values[i] = .array(items.map(format))
            default: break
            }
        }
    }

    /// The phone numbers of `user` that do not parse under `table`'s format (for `check`).
    public static func unparsedPhones(_ user: DirectoryUser, table: ContactFieldTable) -> [String] {
        guard !table.phoneIndexes.isEmpty else { return [] }
        let region = phoneRegion(UserProperties(user), table: table)
        var out: [String] = []
        for key in ["businessPhones", "mobilePhone"] {
            let raw = user.value(key)
            for case .string(let n) in raw?.arrayValue ?? [raw ?? .null] where !n.trimmingCharacters(in: .whitespaces).isEmpty {
                if PhoneNumbers.format(n, region: region, international: false) == nil { out.append(n) }
            }
        }
        return out
    }
}
