import Foundation
import GalsyncJSON

/// A directory user as the snapshot holds it: the id and the selected Graph properties, packed
/// into one buffer (`PackedProperties`), since a cycle holds every user of the directory.
/// Properties other than the selected ones are not kept; a property Graph left out (absent)
/// stays distinct from one it gave as `null`, so the user writes back the same JSON (`json`).
///
/// Properties a `where` rule reads beyond those (`extra`, for example
/// `onPremisesExtensionAttributes`) are kept together in one more entry, a JSON object, only
/// for the users that have them: an install without such a rule keeps exactly what it kept.
public struct DirectoryUser: Sendable, Equatable {
    public let id: String
    var packed: PackedProperties

    /// `properties`: the user's JSON object; keys other than `selectedProperties` and `extra` are dropped.
    public init(id: String, properties: [String: JSONValue], extra: Set<String> = []) {
        self.id = id
        packed = PackedProperties()
        for key in Self.selectedProperties { packed.append(properties[key], id: id) }
        if !extra.isEmpty {
            let others = properties.filter { extra.contains($0.key) && Self.index[$0.key] == nil }
            if !others.isEmpty { packed.append(.object(others), id: id) }
        }
        packed.trim()
    }

    /// The entry after the selected properties: the extra properties, as one JSON object.
    static var extraSlot: Int { selectedProperties.count }

    /// The extra properties this user holds (see `init(id:properties:extra:)`).
    var extraProperties: [String: JSONValue] {
        packed.value(Self.extraSlot, id: id)?.objectValue ?? [:]
    }

    init(id: String, packed: PackedProperties) {
        self.id = id
        self.packed = packed
    }

    /// The user properties galsync reads (`$select` of the delta query).
    public static let selectedProperties = [
        "id", "displayName", "givenName", "surname", "mail", "userPrincipalName", "businessPhones", "mobilePhone",
        "jobTitle", "department", "companyName", "officeLocation", "streetAddress", "city", "state", "postalCode",
        "country", "userType", "accountEnabled",
    ]

    /// Property name → its place in `selectedProperties`.
    static let index = Dictionary(uniqueKeysWithValues: selectedProperties.enumerated().map { ($1, $0) })

    /// The selected properties present, decoded (every call builds them anew: for tests and
    /// tools; the engine reads one property at a time). Setting it packs the user again.
    public var properties: [String: JSONValue] {
        get {
            var out: [String: JSONValue] = [:]
            for (i, slot) in packed.slots().enumerated() {
                if i < Self.extraSlot { out[Self.selectedProperties[i]] = packed.value(slot, id: id) }
                else { out.merge(packed.value(slot, id: id)?.objectValue ?? [:]) { a, _ in a } }
            }
            return out
        }
        set { self = DirectoryUser(id: id, properties: newValue, extra: Set(extraProperties.keys)) }
    }

    /// Property `key` as JSON; nil when absent (or neither a selected nor an extra property).
    public func value(_ key: String) -> JSONValue? {
        if let i = Self.index[key] { return packed.value(i, id: id) }
        return extraProperties[key]
    }

    /// Property `key`'s text, untrimmed; nil when it is not text.
    func rawString(_ key: String) -> String? {
        guard let i = Self.index[key] else { return nil }
        let slot = packed.slot(i)
        switch slot.tag {
        case .string: return packed.text(slot.payload)
        case .id: return id
        default: return nil
        }
    }

    public func string(_ key: String) -> String? {
        guard let s = rawString(key), !s.isEmpty else { return nil }
        // Printable ASCII at both ends cannot be whitespace (checking bytes, not Characters: this runs per field per user).
        if let first = s.utf8.first, let last = s.utf8.last, (0x21..<0x7F).contains(first), (0x21..<0x7F).contains(last) { return s }
        guard s.first!.isWhitespace || s.last!.isWhitespace else { return s }
        let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The items of array property `key` (`businessPhones`); nil when it is not an array.
    public func array(_ key: String) -> [JSONValue]? {
        guard let i = Self.index[key] else { return nil }
        let slot = packed.slot(i)
        switch slot.tag {
        case .strings: return packed.items(slot.payload).map { .string(packed.text($0)) }
        case .json: return packed.value(i, id: id)?.arrayValue
        default: return nil
        }
    }

    public var isGuest: Bool { rawString("userType")?.lowercased() == "guest" }
    /// One of the tenant's mail contacts (`include_org_contacts`), held user-shaped: a source, never a target.
    public var isOrgContact: Bool { rawString("userType") == "OrgContact" }
    public var isEnabled: Bool { value("accountEnabled")?.boolValue ?? true }
    public var userPrincipalName: String? { string("userPrincipalName") }

    /// Whether attribute `name` holds a value (for `directory.require`).
    public func has(_ name: String) -> Bool {
        switch value(name) {
        case .string(let s)?: !s.trimmingCharacters(in: .whitespaces).isEmpty
        case .array(let a)?: !a.isEmpty
        case nil, .null?: false
        default: true
        }
    }
}
