import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient

/// One round of a contacts-like delta (the tenant's mail contacts, `/contacts/delta`; or one
/// mailbox folder's contacts, a mailbox-sourced list's source) folded over the stored set, like
/// `DeltaPages` for users. Each entry is held user-shaped (`shape`), so the same projection, tag
/// and scope rules apply. Both `@removed` reasons mean gone.
public struct ContactDeltaPages: Sendable {
    /// An entry as user properties (`OrgContactShape.userProperties`, `FolderContactShape.userProperties`).
    public let shape: @Sendable ([String: JSONValue], String) -> [String: JSONValue]
    /// The round's name in errors ("/contacts/delta").
    public let what: String
    /// Directory object ids are GUIDs, compared lowercased; Outlook item ids are case-sensitive.
    public let lowercaseIds: Bool
    /// Properties kept beyond `DirectoryUser.selectedProperties` (a folder contact's own fields).
    public let extra: Set<String>

    private(set) var full: Bool
    private var snapshot: [String: DirectoryUser]
    private(set) var changed: [String: DirectoryUser] = [:]
    private(set) var removed: Set<String> = []
    private(set) var deltaLink: String?

    public init(full: Bool, snapshot: [String: DirectoryUser], what: String = "/contacts/delta", lowercaseIds: Bool = true, extra: Set<String> = [],
         shape: @escaping @Sendable ([String: JSONValue], String) -> [String: JSONValue] = OrgContactShape.userProperties) {
        self.full = full
        self.extra = extra
        self.what = what
        self.lowercaseIds = lowercaseIds
        self.shape = shape
        self.snapshot = full ? [:] : snapshot
    }

    public mutating func restart() {
        full = true
        snapshot = [:]
        changed = [:]
        removed = []
        deltaLink = nil
    }

    public mutating func consume(_ body: JSONValue, graph: GraphAPI) throws -> String? {
        guard let value = body["value"]?.arrayValue else { throw SyncError.badData("a \(what) page was not the expected JSON") }
        for entry in value {
            guard let raw = entry["id"]?.stringValue, case let id = lowercaseIds ? raw.lowercased() : raw, !id.isEmpty else { continue }
            if entry["@removed"] != nil {
                removed.insert(id)
                changed[id] = nil
                continue
            }
            removed.remove(id)
            let properties = shape(entry.objectValue ?? [:], id)
            if let known = changed[id] ?? (full ? nil : snapshot[id]) { changed[id] = known.merging(properties, extra: extra) }
            else { changed[id] = DirectoryUser(id: id, properties: properties, extra: extra) }
        }
        if let next = body["@odata.nextLink"]?.stringValue {
            guard graph.isGraphLink(next) else { throw SyncError.badData("a \(what) nextLink points away from the Graph host; not followed, the token stays home") }
            return next
        }
        guard let delta = body["@odata.deltaLink"]?.stringValue else { throw SyncError.badData("a \(what) round ended without a deltaLink") }
        guard graph.isGraphLink(delta) else { throw SyncError.badData("the \(what) deltaLink points away from the Graph host; not saved") }
        deltaLink = delta
        return nil
    }

    /// The contacts after this round.
    public func contacts() -> [String: DirectoryUser] {
        if full { return changed }
        var all = snapshot
        for (id, c) in changed { all[id] = c }
        for id in removed { all[id] = nil }
        return all
    }
}

/// The tenant's mail contacts (`include_org_contacts`): business and mobile phones from
/// `phones` by type (entries with a null number skipped), the address from the first entry
/// with any part, `userType` "OrgContact" (never a target).
public enum OrgContactShape {
    /// The delta without `$select` leaves out phones and addresses (orgcontact-delta's example).
    public static let select = "id,displayName,givenName,surname,mail,companyName,jobTitle,department,phones,addresses"
    public static let firstURL = "/contacts/delta?$select=\(select)"

    /// An orgContact delta entry as user properties: only those it carries (a later round
    /// leaves out what did not change), so merging keeps the rest.
    public static func userProperties(_ entry: [String: JSONValue], id: String) -> [String: JSONValue] {
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
            let parts = ContactProjection.addressParts
            let first = addresses.arrayValue?.first { a in parts.contains { !(a[$0.0]?.stringValue ?? "").isEmpty } }
            for (from, to) in parts { out[to] = first?[from] ?? .null }
            out["officeLocation"] = addresses.arrayValue?.compactMap { $0["officeLocation"]?.stringValue }.first.map(JSONValue.string) ?? .null
        }
        return out
    }
}
