import Foundation
import GalsyncCrypto
import GalsyncJSON

/// The contact galsync wants for a directory user: a pure function of the user and the
/// `[contact]` settings, in a canonical form (empty values are `null`) so that equal contacts
/// hash equally, whether they come from the directory or from a mailbox listing.
public struct ContactProjection: Sendable, Equatable {
    public let userId: String
    /// The managed fields' values in `sortedKeys` order, packed (a cycle makes one per
    /// directory user, and most are only compared, by `hash`).
    let packed: PackedFields
    /// Graph contact properties, every managed field present (`null` when empty).
    public var fields: [String: JSONValue] {
        var f: [String: JSONValue] = [:]
        f.reserveCapacity(Self.sortedKeys.count)
        for (i, e) in packed.entries().enumerated() { f[Self.sortedKeys[i].key] = packed.value(e, PackedFields.shapes[i]) }
        return f
    }

    /// The value of managed field `key`, or nil for another key.
    public func field(_ key: String) -> JSONValue? {
        Self.sortedKeys.firstIndex { $0.key == key }.map { packed.value(packed.entries()[$0], PackedFields.shapes[$0]) }
    }
    /// SHA-256 (128 bits, hex) of the canonical JSON: what the snapshot remembers per written
    /// contact. Computed once.
    public let hash: String

    /// The contact properties galsync manages, in Graph's names.
    public static let managedFields = [
        "displayName", "givenName", "surname", "emailAddresses", "businessPhones", "mobilePhone",
        "jobTitle", "department", "companyName", "officeLocation", "businessAddress",
    ]

    /// The extended property that marks a contact as galsync's, holding the source user's id.
    public static let tagPropertyId = "String {6d1b6c0e-5f6b-4f0c-9a8e-2a7b0c4f9e31} Name galsyncSourceUserId"

    /// Builds the canonical fields directly (the shape `canonical` gives: empty values are
    /// `null`, addresses hold only their non-empty parts), so the hot path skips a second pass.
    public init(user: DirectoryUser, excludeFields: Set<String> = []) {
        var scratch: [UInt8] = []
        self.init(user: user, excludeFields: excludeFields, scratch: &scratch)
    }

    /// `scratch`: a buffer for the hash's JSON, reused across a run of projections.
    init(user: DirectoryUser, excludeFields: Set<String>, scratch: inout [UInt8]) {
        userId = user.id
        func text(_ key: String) -> String? { user.string(key).map(Self.clean).flatMap { $0.isEmpty ? nil : $0 } }
        let displayName = text("displayName")
        var phones: [JSONValue] = []
        for case .string(let phone) in (user.array("businessPhones") ?? []).prefix(2) {
            let cleaned = Self.clean(phone)
            if !cleaned.isEmpty { phones.append(.string(cleaned)) }
        }
        var address: [String: JSONValue] = [:]
        for (part, source) in Self.addressParts { if let v = text(source) { address[part] = .string(v) } }
        let mail = text("mail")
        // In `sortedKeys` order (a test holds them together), so they are packed (and hashed)
        // from this array without a lookup.
        var values: [JSONValue] = [
            address.isEmpty ? .null : .object(address),
            phones.isEmpty ? .null : .array(phones),
            text("companyName").json,
            text("department").json,
            displayName.json,
            mail.map { [["address": .string($0), "name": .string(displayName ?? $0)]] } ?? .null,
            text("givenName").json,
            text("jobTitle").json,
            text("mobilePhone").json,
            text("officeLocation").json,
            text("surname").json,
        ]
        if !excludeFields.isEmpty {
            for (i, key) in Self.sortedKeys.enumerated() where excludeFields.contains(key.key) { values[i] = .null }
        }
        packed = PackedFields(values, scratch: &scratch)
        hash = Self.hash(packed, scratch: &scratch)
    }

    /// Contact address part ← directory attribute.
    package static let addressParts = [
        ("street", "streetAddress"), ("city", "city"), ("state", "state"), ("postalCode", "postalCode"), ("countryOrRegion", "country"),
    ]

    package init(userId: String, fields: [String: JSONValue]) {
        self.userId = userId
        let canonical = Self.canonical(fields)
        var scratch: [UInt8] = []
        packed = PackedFields(Self.sortedKeys.map { canonical[$0.key] ?? .null }, scratch: &scratch)
        hash = Self.hash(packed, scratch: &scratch)
    }

    /// The first 128 bits, in hex, of the SHA-256 of the compact sorted-key JSON of the managed
    /// fields, written from the packed values with the keys in an order sorted once: byte for
    /// byte what `JSONValue.encoded()` gives, so snapshot hashes stay valid.
    static func hash(_ packed: PackedFields, scratch bytes: inout [UInt8]) -> String {
        bytes.removeAll(keepingCapacity: true)
        packed.writeObject(into: &bytes)
        return Digest.hex(Digest.sha256(bytes: bytes), count: 16)
    }

    /// The managed fields in `encoded()`'s key order, each with its `"key":` bytes (and comma).
    static let sortedKeys: [(key: String, prefix: [UInt8])] = managedFields.sorted().enumerated().map { i, key in
        var prefix: [UInt8] = i > 0 ? [UInt8(ascii: ",")] : []
        prefix += Array("\"\(key)\":".utf8)
        return (key, prefix)
    }

    /// The managed fields of a contact as listed from a mailbox, canonical.
    public static func fromListed(userId: String, contact: JSONValue) -> ContactProjection {
        var f: [String: JSONValue] = [:]
        for key in managedFields { f[key] = contact[key] ?? .null }
        return ContactProjection(userId: userId, fields: f)
    }

    /// The longest text galsync writes into one contact field (Exchange's display name limit).
    static let maxFieldLength = 255

    /// Directory text made safe for a contact: control characters dropped (direction marks
    /// and other format characters are kept: names need them), whitespace trimmed, and cut to
    /// `maxFieldLength` characters.
    static func clean(_ s: String) -> String {
        // Fast path: plain text of a sane length (nearly all of a directory).
        let utf8 = s.utf8
        if utf8.count <= maxFieldLength, utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F || $0 == 0x20 }),
           utf8.first.map({ $0 != 0x20 }) ?? true, utf8.last.map({ $0 != 0x20 }) ?? true {
            return s  // printable ASCII, not padded: nothing to do
        }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars where !(scalar.properties.generalCategory == .control) { out.append(scalar) }
        let trimmed = String(out).trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.count > maxFieldLength ? String(trimmed.prefix(maxFieldLength)) : trimmed
    }

    /// Empty strings, lists and addresses become `null`; e-mail entries keep address and name only.
    static func canonical(_ input: [String: JSONValue]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for key in managedFields {
            let value = input[key] ?? .null
            switch key {
            case "emailAddresses":
                let items = (value.arrayValue ?? []).compactMap { e -> JSONValue? in
                    guard let address = e["address"]?.stringValue, !address.isEmpty else { return nil }
                    return ["address": .string(address), "name": (e["name"]?.stringValue).flatMap { $0.isEmpty ? nil : $0 }.json]
                }
                out[key] = items.isEmpty ? .null : .array(items)
            case "businessPhones":
                let items = (value.arrayValue ?? []).compactMap(\.stringValue).filter { !$0.isEmpty }
                out[key] = items.isEmpty ? .null : .array(items.map(JSONValue.string))
            case "businessAddress":
                var address: [String: JSONValue] = [:]
                for part in ["street", "city", "state", "postalCode", "countryOrRegion"] {
                    if let s = value[part]?.stringValue, !s.isEmpty { address[part] = .string(s) }
                }
                out[key] = address.isEmpty ? .null : .object(address)
            default:
                if let s = value.stringValue, !s.isEmpty { out[key] = .string(s) } else { out[key] = .null }
            }
        }
        return out
    }

    /// The canonical JSON of `fields` (what the hash is of).
    public var json: Data {
        var out: [UInt8] = []
        packed.writeObject(into: &out)
        return Data(out)
    }

    /// The body that makes a contact hold exactly these fields (nulls clear; Graph needs `[]`
    /// to clear a list), tagged with the source user.
    public func createBody() -> JSONValue {
        var body = Self.wire(fields)
        body["singleValueExtendedProperties"] = [["id": .string(Self.tagPropertyId), "value": .string(userId)]]
        return .object(body)
    }

    /// The PATCH body from `old` to this: only changed fields, plus `displayName` always
    /// (Exchange may regenerate it otherwise).
    public func patchBody(from old: ContactProjection?) -> JSONValue {
        var changed: [String: JSONValue] = [:]
        let mine = packed.entries(), theirs = old?.packed.entries()
        for (i, key) in Self.sortedKeys.enumerated() {
            let same = theirs.map { packed.same(mine[i], as: $0[i], in: old!.packed) } ?? false
            if key.key == "displayName" || !same { changed[key.key] = packed.value(mine[i], PackedFields.shapes[i]) }
        }
        return .object(Self.wire(changed))
    }

    static func wire(_ f: [String: JSONValue]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (key, value) in f {
            switch (key, value) {
            case ("emailAddresses", .null), ("businessPhones", .null): out[key] = .array([])
            case ("businessAddress", .null):
                out[key] = ["street": .null, "city": .null, "state": .null, "postalCode": .null, "countryOrRegion": .null]
            default: out[key] = value
            }
        }
        return out
    }
}
