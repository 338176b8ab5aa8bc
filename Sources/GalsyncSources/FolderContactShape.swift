import GalsyncJSON
import GraphFilter
import GalsyncPlan

/// A contact of a mailbox-sourced list's source folder, held user-shaped so that it is scoped,
/// tagged and planned like a user: its own properties under their own names (the copy's table,
/// `ContactFieldTable.copying`, takes each from there), `mail` for its first e-mail address (so
/// that it is named like a person), `userType` "MailboxContact". Only the properties an entry
/// carries (a later delta round may leave some out).
public enum FolderContactShape {
    /// Every contact property a copy carries, and the id.
    public static let select = (["id"] + ContactFieldTable.copiedKeys).joined(separator: ",")

    /// The copied properties that are not user properties galsync keeps anyway.
    public static let extra = Set(ContactFieldTable.copiedKeys).subtracting(DirectoryUser.selectedProperties)

    public static func userProperties(_ entry: [String: JSONValue], id: String) -> [String: JSONValue] {
        var out: [String: JSONValue] = ["id": .string(id), "userType": "MailboxContact"]
        for key in ContactFieldTable.copiedKeys { if let v = entry[key] { out[key] = v } }
        if let addresses = entry["emailAddresses"] {
            out["mail"] = addresses.arrayValue?.lazy.compactMap { $0["address"]?.stringValue }.first { !$0.isEmpty }.map(JSONValue.string) ?? .null
        }
        return out
    }
}
