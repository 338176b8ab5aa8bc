import GalsyncJSON

/// A directory user as the snapshot holds it: the id and the selected Graph properties.
public struct DirectoryUser: Sendable, Equatable {
    public var id: String
    public var properties: [String: JSONValue]

    public init(id: String, properties: [String: JSONValue]) {
        self.id = id
        self.properties = properties
    }

    /// The user properties galsync reads (`$select` of the delta query).
    public static let selectedProperties = [
        "id", "displayName", "givenName", "surname", "mail", "userPrincipalName", "businessPhones", "mobilePhone",
        "jobTitle", "department", "companyName", "officeLocation", "streetAddress", "city", "state", "postalCode",
        "country", "userType", "accountEnabled",
    ]

    public func string(_ key: String) -> String? {
        guard let s = properties[key]?.stringValue, !s.isEmpty else { return nil }
        // Printable ASCII at both ends cannot be whitespace (checking bytes, not Characters: this runs per field per user).
        if let first = s.utf8.first, let last = s.utf8.last, (0x21..<0x7F).contains(first), (0x21..<0x7F).contains(last) { return s }
        guard s.first!.isWhitespace || s.last!.isWhitespace else { return s }
        let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    public var isGuest: Bool { properties["userType"]?.stringValue?.lowercased() == "guest" }
    public var isEnabled: Bool { properties["accountEnabled"]?.boolValue ?? true }
    public var userPrincipalName: String? { string("userPrincipalName") }

    /// Whether attribute `name` holds a value (for `directory.require`).
    public func has(_ name: String) -> Bool {
        switch properties[name] {
        case .string(let s)?: !s.trimmingCharacters(in: .whitespaces).isEmpty
        case .array(let a)?: !a.isEmpty
        case nil, .null?: false
        default: true
        }
    }
}
