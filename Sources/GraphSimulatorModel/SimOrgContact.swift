import Foundation
import GalsyncJSON

/// An organizational contact (`microsoft.graph.orgContact`): a mail contact of the tenant, read-only
/// in Graph ("synchronized from on-premises directories or from Exchange Online"). Properties
/// under their Graph names, `phones` and `addresses` in Graph's shapes, with the null entries
/// the orgcontact-get example shows.
public struct SimOrgContact: Sendable, Hashable {
    public var id: String
    public var properties: [String: JSONValue]
    public var deleted = false

    /// What `/contacts` and `/contacts/delta` return without `$select` (orgcontact-delta's example:
    /// no phones, no addresses).
    public static let defaultSelect = ["id", "companyName", "department", "displayName", "givenName", "jobTitle", "mail", "mailNickname", "surname"]
    public static let propertyNames = defaultSelect + ["phones", "addresses", "proxyAddresses", "onPremisesSyncEnabled"]

    public static let companies = ["Fabrikam", "Northwind Traders", "Tailspin Toys", "Litware", "Woodgrove Bank", "Adventure Works"]

    public static func seeded(index i: Int, rng: inout SeededRandom) -> SimOrgContact {
        let id = rng.guid()
        let given = TenantSeed.givenNames[Int(rng.next() % UInt64(TenantSeed.givenNames.count))]
        let surname = TenantSeed.surnames[Int(rng.next() % UInt64(TenantSeed.surnames.count))]
        let company = companies[i % companies.count]
        let nick = "ext.\(given).\(surname).\(i)".lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") }
        let domain = company.lowercased().filter(\.isLetter) + ".example"
        return SimOrgContact(id: id, properties: [
            "id": .string(id), "displayName": .string("\(given) \(surname) (\(company))"), "givenName": .string(given), "surname": .string(surname),
            // Every seventh has no mail (a contact kept for its phone): galsync's `require` leaves it out.
            "mail": i % 7 == 3 ? .null : .string("\(nick)@\(domain)"), "mailNickname": .string(nick),
            "companyName": .string(company), "department": i % 2 == 0 ? "Sales" : .null, "jobTitle": i % 3 == 0 ? "Account Manager" : .null,
            "phones": [
                ["type": "business", "number": .string(String(format: "+1 206 555 %04d", 1000 + i)), "language": .null, "region": .null],
                ["type": "mobile", "number": i % 2 == 0 ? .string(String(format: "+44 7700 8%05d", i)) : .null, "language": .null, "region": .null],
                ["type": "businessFax", "number": .null, "language": .null, "region": .null],
            ],
            "addresses": [[
                "street": i % 4 == 0 ? .null : .string("\(10 + i) Harbour Road"), "city": i % 4 == 0 ? .null : "Seattle", "state": i % 4 == 0 ? .null : "WA",
                "postalCode": i % 4 == 0 ? .null : "98101", "countryOrRegion": "United States", "officeLocation": .null,
            ]],
            "proxyAddresses": .array(i % 7 == 3 ? [] : [.string("SMTP:\(nick)@\(domain)")]),
            "onPremisesSyncEnabled": .null,
        ])
    }

    public init(id: String, properties: [String: JSONValue]) {
        self.id = id
        self.properties = properties
    }
}
