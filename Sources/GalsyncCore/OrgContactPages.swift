import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient

/// One round of `/contacts/delta` (the tenant's mail contacts, `include_org_contacts`) folded
/// over the stored set, like `DeltaPages` for users. Each contact is held user-shaped, so the
/// same projection, tag and scope rules apply: business and mobile phones from `phones` by
/// type (entries with a null number skipped), the address from the first entry with any part,
/// `userType` "OrgContact" (never a target). Both `@removed` reasons mean gone.
struct OrgContactPages {
    /// The delta without `$select` leaves out phones and addresses (orgcontact-delta's example).
    static let select = "id,displayName,givenName,surname,mail,companyName,jobTitle,department,phones,addresses"
    static let firstURL = "/contacts/delta?$select=\(select)"

    private(set) var full: Bool
    private var snapshot: [String: DirectoryUser]
    private(set) var changed: [String: DirectoryUser] = [:]
    private(set) var removed: Set<String> = []
    private(set) var deltaLink: String?

    init(full: Bool, snapshot: [String: DirectoryUser]) {
        self.full = full
        self.snapshot = full ? [:] : snapshot
    }

    mutating func restart() {
        full = true
        snapshot = [:]
        changed = [:]
        removed = []
        deltaLink = nil
    }

    mutating func consume(_ body: JSONValue, graph: GraphAPI) throws -> String? {
        guard let value = body["value"]?.arrayValue else { throw SyncError.badData("a /contacts/delta page was not the expected JSON") }
        for entry in value {
            guard let id = entry["id"]?.stringValue?.lowercased(), !id.isEmpty else { continue }
            if entry["@removed"] != nil {
                removed.insert(id)
                changed[id] = nil
                continue
            }
            removed.remove(id)
            let properties = Self.userProperties(entry.objectValue ?? [:], id: id)
            if let known = changed[id] ?? (full ? nil : snapshot[id]) { changed[id] = known.merging(properties) }
            else { changed[id] = DirectoryUser(id: id, properties: properties) }
        }
        if let next = body["@odata.nextLink"]?.stringValue {
            guard graph.isGraphLink(next) else { throw SyncError.badData("a /contacts/delta nextLink points away from the Graph host; not followed, the token stays home") }
            return next
        }
        guard let delta = body["@odata.deltaLink"]?.stringValue else { throw SyncError.badData("a /contacts/delta round ended without a deltaLink") }
        guard graph.isGraphLink(delta) else { throw SyncError.badData("the /contacts deltaLink points away from the Graph host; not saved") }
        deltaLink = delta
        return nil
    }

    /// The contacts after this round.
    func contacts() -> [String: DirectoryUser] {
        if full { return changed }
        var all = snapshot
        for (id, c) in changed { all[id] = c }
        for id in removed { all[id] = nil }
        return all
    }

    /// An orgContact delta entry as user properties: only those it carries (a later round
    /// leaves out what did not change), so merging keeps the rest.
    static func userProperties(_ entry: [String: JSONValue], id: String) -> [String: JSONValue] {
        var out: [String: JSONValue] = ["id": .string(id), "userType": "OrgContact"]
        for key in ["displayName", "givenName", "surname", "mail", "companyName", "jobTitle", "department"] { if let v = entry[key] { out[key] = v } }
        if let phones = entry["phones"] {
            func number(_ type: String) -> String? {
                phones.arrayValue?.first { $0["type"]?.stringValue?.lowercased() == type.lowercased() && !($0["number"]?.stringValue ?? "").isEmpty }?["number"]?.stringValue
            }
            out["businessPhones"] = .array(number("business").map { [.string($0)] } ?? [])
            out["mobilePhone"] = number("mobile").map(JSONValue.string) ?? .null
        }
        if let addresses = entry["addresses"] {
            let parts = ["street", "city", "state", "postalCode", "countryOrRegion"]
            let first = addresses.arrayValue?.first { a in parts.contains { !(a[$0]?.stringValue ?? "").isEmpty } }
            for (from, to) in zip(parts, ["streetAddress", "city", "state", "postalCode", "country"]) { out[to] = first?[from] ?? .null }
            out["officeLocation"] = addresses.arrayValue?.compactMap { $0["officeLocation"]?.stringValue }.first.map(JSONValue.string) ?? .null
        }
        return out
    }
}
