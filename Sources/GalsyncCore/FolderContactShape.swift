import GalsyncJSON
import GalsyncPlan

/// A contact of a mailbox-sourced list's source folder as user properties, so that it is
/// projected, tagged and planned like a user: the first e-mail address is `mail`, the business
/// address's parts are the user's address properties, the other managed fields keep their
/// names. Only the properties an entry carries (a later delta round may leave some out).
enum FolderContactShape {
    /// The contact properties galsync copies (`ContactProjection.managedFields`) and the id.
    static let select = (["id"] + ContactProjection.managedFields).joined(separator: ",")

    static func userProperties(_ entry: [String: JSONValue], id: String) -> [String: JSONValue] {
        var out: [String: JSONValue] = ["id": .string(id), "userType": "MailboxContact"]
        for key in ["displayName", "givenName", "surname", "businessPhones", "mobilePhone", "jobTitle", "department", "companyName", "officeLocation"] {
            if let v = entry[key] { out[key] = v }
        }
        if let addresses = entry["emailAddresses"] {
            out["mail"] = addresses.arrayValue?.lazy.compactMap { $0["address"]?.stringValue }.first { !$0.isEmpty }.map(JSONValue.string) ?? .null
        }
        if let address = entry["businessAddress"] {
            for (from, to) in ContactProjection.addressParts { out[to] = address[from] ?? .null }
        }
        return out
    }
}
