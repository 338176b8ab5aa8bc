import Foundation
import GraphFilter
import GalsyncJSON

/// Validates request bodies for Outlook entities against Graph's CSDL (the generated tables in
/// `ContactSchema+Generated.swift`), the way Exchange rejects them: unknown properties, wrong
/// types and read-only properties get 400, and so do more than 2 phones or 3 e-mail addresses.
public enum ContactSchema {
    public struct Violation: Error, Sendable, Equatable {
        public let code: String
        public let message: String
    }

    public static let readOnly: Set<String> = ["id", "changeKey", "createdDateTime", "lastModifiedDateTime"]
    public static let collectionLimits = ["businessPhones": 2, "homePhones": 2, "emailAddresses": 3]
    public static let writableNavigation: Set<String> = ["singleValueExtendedProperties", "multiValueExtendedProperties"]

    /// Checks a POST or PATCH body for `entity` (`contact` or `contactFolder`).
    public static func validate(_ body: JSONValue, entity: String) throws(Violation) {
        guard let object = body.objectValue else {
            throw Violation(code: "RequestBodyRead", message: "The request body must be a JSON object.")
        }
        let properties = entityTypes[entity] ?? [:]
        let navigation = navigationProperties[entity] ?? [:]
        // Sorted so that the first violation reported does not depend on hashing order.
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            if name.hasPrefix("@odata.") { continue }
            if let type = properties[name] {
                if readOnly.contains(name) {
                    throw Violation(code: "ErrorInvalidProperty", message: "The property '\(name)' is read-only and cannot be set.")
                }
                try check(value, type: type, path: name)
                if let limit = collectionLimits[name], let items = value.arrayValue, items.count > limit {
                    throw Violation(code: "ErrorInvalidArgument", message: "The property '\(name)' accepts at most \(limit) values; \(items.count) were given.")
                }
            } else if navigation[name] != nil {
                guard writableNavigation.contains(name) else {
                    throw Violation(code: "RequestBodyRead", message: "The navigation property '\(name)' cannot be set in a \(entity) body.")
                }
                try checkExtendedProperties(value, name: name)
            } else {
                let typeName = "Microsoft.OutlookServices.\(entity.prefix(1).uppercased() + entity.dropFirst())"
                throw Violation(
                    code: "RequestBodyRead",
                    message: "The property '\(name)' does not exist on type '\(typeName)'. Make sure to only use property names that are defined by the type.")
            }
        }
    }

    public static func check(_ value: JSONValue, type: String, path: String) throws(Violation) {
        if value.isNull { return }
        if type.hasPrefix("Collection("), type.hasSuffix(")") {
            let element = String(type.dropFirst("Collection(".count).dropLast())
            guard let items = value.arrayValue else { throw mismatch(value, type, path) }
            for (i, item) in items.enumerated() {
                if item.isNull { throw mismatch(item, element, "\(path)[\(i)]") }
                try check(item, type: element, path: "\(path)[\(i)]")
            }
            return
        }
        switch type {
        case "Edm.String":
            guard value.stringValue != nil else { throw mismatch(value, type, path) }
        case "Edm.DateTimeOffset":
            guard let s = value.stringValue, ISO8601DateFormatter().date(from: s) != nil || Self.fractionalISO.date(from: s) != nil else {
                throw mismatch(value, type, path)
            }
        case "Edm.Boolean":
            guard value.boolValue != nil else { throw mismatch(value, type, path) }
        case "Edm.Int32", "Edm.Int64":
            guard let n = value.numberValue, n.rounded() == n else { throw mismatch(value, type, path) }
        default:
            let complexName = type.hasPrefix("graph.") ? String(type.dropFirst(6)) : type
            guard let complex = complexTypes[complexName] else { return }
            guard let object = value.objectValue else { throw mismatch(value, type, path) }
            for (key, inner) in object where !key.hasPrefix("@odata.") {
                guard let innerType = complex[key] else {
                    throw Violation(code: "RequestBodyRead", message: "The property '\(key)' does not exist on type 'microsoft.graph.\(complexName)' (at '\(path)').")
                }
                try check(inner, type: innerType, path: "\(path).\(key)")
            }
        }
    }

    public static func checkExtendedProperties(_ value: JSONValue, name: String) throws(Violation) {
        guard let items = value.arrayValue else { throw mismatch(value, "Collection", name) }
        for item in items {
            guard let id = item["id"]?.stringValue else {
                throw Violation(code: "RequestBodyRead", message: "Each of '\(name)' needs an 'id'.")
            }
            guard isExtendedPropertyId(id) else {
                throw Violation(code: "ErrorInvalidProperty", message: "The extended property id '\(id)' is not valid: use '{type} {guid} Name {name}' or '{type} {guid} Id 0x{hex}'.")
            }
            if name == "singleValueExtendedProperties", item["value"]?.stringValue == nil {
                throw Violation(code: "RequestBodyRead", message: "Extended property '\(id)' needs a string 'value'.")
            }
        }
    }

    /// `String {00020329-0000-0000-C000-000000000046} Name galsyncSource` and the `Id 0x...` and tag forms.
    public static func isExtendedPropertyId(_ id: String) -> Bool {
        let parts = id.split(separator: " ", maxSplits: 3).map(String.init)
        guard let first = parts.first, ExtendedPropertyId.types.contains(first) else { return false }
        if parts.count == 2 { return parts[1].lowercased().hasPrefix("0x") }
        guard parts.count == 4, parts[1].hasPrefix("{"), parts[1].hasSuffix("}"),
              UUID(uuidString: String(parts[1].dropFirst().dropLast())) != nil,
              ["Name", "Id"].contains(parts[2]), !parts[3].isEmpty else { return false }
        return true
    }

    public static func mismatch(_ value: JSONValue, _ type: String, _ path: String) -> Violation {
        let shown = String(decoding: value.encoded().prefix(60), as: UTF8.self)
        return Violation(code: "RequestBodyRead", message: "Cannot convert the literal '\(shown)' to the expected type '\(type)' (property '\(path)').")
    }

    nonisolated(unsafe) static let fractionalISO: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
