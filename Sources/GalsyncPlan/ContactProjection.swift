import Foundation
import GalsyncCrypto
import GalsyncConfig
import GalsyncJSON
import GalsyncPhone
import GraphFilter

/// The contact galsync wants for a directory user: a pure function of the user and the
/// `[contact]` settings, in a canonical form (empty values are `null`) so that equal contacts
/// hash equally, whether they come from the directory or from a mailbox listing.
public struct ContactProjection: Sendable, Equatable {
    public let userId: String
    /// The fields' values in `table`'s order, packed (a cycle makes one per directory user,
    /// and most are only compared, by `hash`).
    let packed: PackedFields
    /// Which fields, from where, with which policy.
    public let table: ContactFieldTable
    /// Graph contact properties, every field of the table present (`null` when empty).
    public var fields: [String: JSONValue] {
        var f: [String: JSONValue] = [:]
        f.reserveCapacity(table.fields.count)
        for (i, e) in packed.entries().enumerated() { f[table.fields[i].key] = packed.value(e, table.fields[i].shape) }
        return f
    }

    /// The value of field `key`, or nil for a key the table does not have.
    public func field(_ key: String) -> JSONValue? {
        table.index[key].map { packed.value(packed.entries()[$0], table.fields[$0].shape) }
    }
    /// SHA-256 (128 bits, hex) of the canonical JSON of the fields the hash covers (all but
    /// `create_only` ones): what the snapshot remembers per written contact. Computed once.
    public let hash: String

    public static func == (a: ContactProjection, b: ContactProjection) -> Bool {
        a.userId == b.userId && a.hash == b.hash && a.packed == b.packed && a.table.same(as: b.table)
    }

    /// The contact properties galsync writes without `[contact.fields]`, in Graph's names.
    public static let managedFields = ContactFieldRule.defaultFields

    /// The extended property that marks a contact as galsync's, holding the source user's id.
    public static let tagPropertyId = "String {6d1b6c0e-5f6b-4f0c-9a8e-2a7b0c4f9e31} Name galsyncSourceUserId"

    /// The built-in fields less `excludeFields` (tests and tools; a cycle passes its list's table).
    public init(user: DirectoryUser, excludeFields: Set<String> = []) {
        self.init(user: user, table: .excluding(excludeFields))
    }

    public init(user: DirectoryUser, table: ContactFieldTable) {
        var scratch: [UInt8] = []
        self.init(user: user, table: table, scratch: &scratch)
    }

    /// Builds the canonical fields directly (the shape `canonical` gives: empty values are
    /// `null`, addresses hold only their non-empty parts), so the hot path skips a second pass.
    /// `scratch`: a buffer for the hash's JSON, reused across a run of projections.
    init(user: DirectoryUser, table: ContactFieldTable, scratch: inout [UInt8]) {
        userId = user.id
        self.table = table
        var values: [JSONValue]
        if table.isBuiltInShape {
            values = Self.builtIn(user)
            for (i, f) in table.fields.enumerated() where f.source == .none { values[i] = .null }
        } else {
            var builtIn: [JSONValue]?
            let properties = UserProperties(user)
            values = table.fields.map { f in
                switch f.source {
                case .builtIn:
                    if builtIn == nil { builtIn = Self.builtIn(user) }
                    return builtIn![f.builtInIndex!]
                case .none: return .null
                case .copy: return Self.canonical(properties.value(f.key) ?? .null, f.kind)
                case .user(let path): return Self.converted(properties, path, f)
                case .notes(let template): return template.render(properties).json
                case .categories(let names): return .array(names.map(JSONValue.string))
                case .template(let template): return template.render(properties).map(Self.clean).flatMap { $0.isEmpty ? nil : $0 }.json
                }
            }
        }
        if !table.phoneIndexes.isEmpty { Self.formatPhones(&values, user: UserProperties(user), table: table) }
        packed = PackedFields(values, table: table, scratch: &scratch)
        hash = Self.hash(packed, table: table, scratch: &scratch)
    }

    /// The 11 built-in fields' values, in `ContactFieldTable.builtInKeys` order (a test holds
    /// them together), so they are packed (and hashed) from this array without a lookup.
    static func builtIn(_ user: DirectoryUser) -> [JSONValue] {
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
        return [
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
    }

    /// A user property's value (`path`: a property, or one step into it) in field `f`'s shape:
    /// text cleaned as the built-in fields are, one text into a list as its one item, e-mail
    /// addresses named with the user's display name, lists cut to what Exchange takes.
    static func converted(_ user: UserProperties, _ path: [String], _ f: ContactFieldTable.Field) -> JSONValue {
        let value = user.value(path) ?? .null
        func text(_ v: JSONValue) -> String? {
            let s: String? = switch v {
            case .string(let s): clean(s)
            case .number(let n): n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
            case .bool(let b): b ? "true" : "false"
            default: nil
            }
            return s.flatMap { $0.isEmpty ? nil : $0 }
        }
        let items: [String] = (value.arrayValue ?? [value]).compactMap(text)
        let limit = ContactPropertyCatalog.collectionLimits[f.key] ?? Int.max
        let name = user.user.string("displayName").map(clean).flatMap { $0.isEmpty ? nil : $0 }
        switch f.kind {
        case .text, .dateTime:
            return text(value).json
        case .texts:
            return items.isEmpty ? .null : .array(items.prefix(limit).map(JSONValue.string))
        case .emails:
            return items.isEmpty ? .null : .array(items.prefix(limit).map { ["address": .string($0), "name": .string(name ?? $0)] })
        case .email:
            return items.first.map { ["address": .string($0), "name": .string(name ?? $0)] } ?? .null
        case .address:
            return .null  // the configuration allows an address only its built-in source
        }
    }

    /// Contact address part ← directory attribute.
    package static let addressParts = [
        ("street", "streetAddress"), ("city", "city"), ("state", "state"), ("postalCode", "postalCode"), ("countryOrRegion", "country"),
    ]

    /// A projection from canonical or listed fields (`table`'s keys; others are ignored).
    package init(userId: String, fields: [String: JSONValue], table: ContactFieldTable = .standard) {
        self.userId = userId
        self.table = table
        var scratch: [UInt8] = []
        packed = PackedFields(table.fields.map { Self.canonical(fields[$0.key] ?? .null, $0.kind) }, table: table, scratch: &scratch)
        hash = Self.hash(packed, table: table, scratch: &scratch)
    }

    /// The first 128 bits, in hex, of the SHA-256 of the compact sorted-key JSON of the managed
    /// fields, written from the packed values with the keys in an order sorted once: byte for
    /// byte what `JSONValue.encoded()` gives, so snapshot hashes stay valid.
    static func hash(_ packed: PackedFields, table: ContactFieldTable, scratch bytes: inout [UInt8]) -> String {
        bytes.removeAll(keepingCapacity: true)
        packed.writeObject(into: &bytes, table: table)
        return Digest.hex(Digest.sha256(bytes: bytes), count: 16)
    }

    /// The fields of `table` of a contact as listed from a mailbox, canonical, as galsync
    /// compares them: a `keep_edits` field as galsync last wrote it (`stored`; the mailbox's
    /// value may be the owner's, which is not a difference), the notes as galsync's part of
    /// them, the categories as those of galsync's the contact carries.
    /// `recorded`: the state's values of those fields (`RecordedFields`).
    public static func fromListed(userId: String, contact: JSONValue, table: ContactFieldTable = .standard, recorded: [String: JSONValue]? = nil) -> ContactProjection {
        var fields = contact.objectValue ?? [:]
        if table.readsCurrent {
            for f in table.fields where f.readsCurrent {
                switch f.source {
                case .notes: fields[f.key] = PersonalNotes.part(of: fields[f.key]?.stringValue).json
                case .categories(let names):
                    // galsync's: the configured ones, and those it put there before (`stored`), so
                    // that one no longer configured is seen, and taken off.
                    let held = Set((fields[f.key]?.arrayValue ?? []).compactMap { $0.stringValue?.lowercased() })
                    let before = (recorded?[f.key]?.arrayValue ?? []).compactMap(\.stringValue)
                    var ours = names
                    for n in before where !ours.contains(where: { $0.lowercased() == n.lowercased() }) { ours.append(n) }
                    fields[f.key] = .array(ours.filter { held.contains($0.lowercased()) }.map(JSONValue.string))
                default:
                    if let recorded, let value = recorded[f.key] { fields[f.key] = value }
                }
            }
        }
        return ContactProjection(userId: userId, fields: fields, table: table)
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

    /// A value in `kind`'s canonical form: empty strings, lists and addresses become `null`;
    /// e-mail entries keep address and name only; an address only its non-empty parts.
    static func canonical(_ value: JSONValue, _ kind: ContactPropertyCatalog.Kind) -> JSONValue {
        switch kind {
        case .emails:
            let items = (value.arrayValue ?? []).compactMap(canonicalEmail)
            return items.isEmpty ? .null : .array(items)
        case .email:
            return canonicalEmail(value) ?? .null
        case .texts:
            let items = (value.arrayValue ?? []).compactMap(\.stringValue).filter { !$0.isEmpty }
            return items.isEmpty ? .null : .array(items.map(JSONValue.string))
        case .address:
            var address: [String: JSONValue] = [:]
            for part in ContactPropertyCatalog.addressParts {
                if let s = value[part]?.stringValue, !s.isEmpty { address[part] = .string(s) }
            }
            return address.isEmpty ? .null : .object(address)
        case .text, .dateTime:
            if let s = value.stringValue, !s.isEmpty { return .string(s) } else { return .null }
        }
    }

    static func canonicalEmail(_ e: JSONValue) -> JSONValue? {
        guard let address = e["address"]?.stringValue, !address.isEmpty else { return nil }
        return ["address": .string(address), "name": (e["name"]?.stringValue).flatMap { $0.isEmpty ? nil : $0 }.json]
    }

    /// The canonical JSON of `fields` (what the hash is of).
    public var json: Data {
        var out: [UInt8] = []
        packed.writeObject(into: &out, table: table)
        return Data(out)
    }

    /// The body that makes a contact hold exactly these fields (nulls clear; Graph needs `[]`
    /// to clear a list), tagged with the source user.
    public func createBody() -> JSONValue {
        var f = fields
        if table.readsCurrent, case .string(let part)? = f["personalNotes"], table.index["personalNotes"].map({ if case .notes = table.fields[$0].source { true } else { false } }) == true {
            f["personalNotes"] = .string(PersonalNotes.wrapped(part))
        }
        var body = Self.wire(f)
        body["singleValueExtendedProperties"] = [["id": .string(Self.tagPropertyId), "value": .string(userId)]]
        return .object(body)
    }

    /// The PATCH body from `old` to this: only changed fields, plus `displayName` always
    /// (Exchange may regenerate it otherwise); never a `create_only` field. `old` made with
    /// another table is compared by key.
    public func patchBody(from old: ContactProjection?) -> JSONValue {
        var changed: [String: JSONValue] = [:]
        let mine = packed.entries()
        let theirs = old.flatMap { $0.table.same(as: table) ? $0.packed.entries() : nil }
        for (i, f) in table.fields.enumerated() where table.hashed[i] && !f.readsCurrent {
            let same: Bool
            if let theirs { same = packed.same(mine[i], as: theirs[i], in: old!.packed) }
            else { same = old?.field(f.key).map { $0 == packed.value(mine[i], f.shape) } ?? false }
            if f.key == "displayName" || !same { changed[f.key] = packed.value(mine[i], f.shape) }
        }
        return .object(Self.wire(changed))
    }

    /// `null` as Graph clears each kind: `[]` for a list, an address of `null` parts.
    static func wire(_ f: [String: JSONValue]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (key, value) in f {
            switch (ContactPropertyCatalog.kinds[key], value) {
            case (.emails?, .null), (.texts?, .null): out[key] = .array([])
            case (.address?, .null):
                out[key] = ["street": .null, "city": .null, "state": .null, "postalCode": .null, "countryOrRegion": .null]
            default: out[key] = value
            }
        }
        return out
    }
}
