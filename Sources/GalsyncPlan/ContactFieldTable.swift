import GalsyncConfig
import GalsyncJSON
import GraphFilter

/// The contact fields one list writes, made once from its `[contact]` settings: each Graph
/// contact property with its source, policy and packed shape, sorted by name (the order the
/// hash's JSON writes them in). Without `[contact.fields]` it is `standard`, today's 11 fields,
/// so every contact an install wrote keeps its hash byte for byte (`ProjectionCacheTests`
/// pins them).
public final class ContactFieldTable: Sendable {
    public struct Field: Sendable, Equatable {
        /// Where the value comes from.
        public enum Source: Sendable, Equatable {
            /// The built-in rule of one of the 11 default fields (`mail` → emailAddresses…).
            case builtIn
            /// A user property path, converted to the field's shape.
            case user([String])
            /// The source contact's own property of the same name (a mailbox list's copy).
            case copy
            /// Never written (`exclude_fields`): always `null`, so galsync clears it.
            case none
            /// galsync's part of `personalNotes` (`[contact] notes`), rendered per user.
            case notes(NotesTemplate)
            /// `[contact] categories`, beside the owner's own.
            case categories([String])
            /// A text with `{property}` parts (`fileAs = { from = "{surname}, {givenName}" }`).
            case template(NotesTemplate)
        }

        public let key: String
        /// `"key":` (with a comma before every field but the first one hashed).
        let prefix: [UInt8]
        let shape: PackedFields.Shape
        public let kind: ContactPropertyCatalog.Kind
        public let source: Source
        public let policy: ContactFieldRule.Policy
        /// The index of this key among the built-in fields, when it is one.
        let builtInIndex: Int?

        /// Whether a listing compares this field with the state's record (`keep_edits`: the
        /// last value; categories: those galsync put there) rather than with the mailbox alone.
        public var comparedWithRecord: Bool {
            if policy == .keepEdits { return true }
            if case .categories = source { return true }
            return false
        }

        /// Whether what galsync writes depends on what the mailbox holds now: a `keep_edits`
        /// field (the owner's value stays), the notes (the owner's text around galsync's part
        /// stays), the categories (the owner's own stay).
        public var readsCurrent: Bool {
            switch source {
            case .notes, .categories: true
            default: policy == .keepEdits
            }
        }
    }

    /// Sorted by key.
    public let fields: [Field]
    /// Key → index in `fields`.
    let index: [String: Int]
    /// The 11 built-in fields in their order, overwrite, some maybe `none`: the hand-written path.
    let isBuiltInShape: Bool
    /// What differs from the built-in table, as text ("" for the 11 built-ins, exclusions
    /// aside): part of the desired set's settings, so that a changed mapping plans every
    /// mailbox in full once.
    public let signature: String
    /// The fields a contact's hash and PATCH cover (all but `create_only`).
    let hashed: [Bool]
    /// Any field that `readsCurrent`.
    public let readsCurrent: Bool
    /// Whether a listing or a drift check needs what the state records for each contact: the
    /// `keep_edits` fields' last values, the categories galsync put there.
    public var comparesWithRecord: Bool { fields.contains(where: \.comparedWithRecord) }
    /// Whether galsync puts categories on the contacts (`[contact] categories`).
    public var hasCategories: Bool { fields.contains { if case .categories = $0.source { true } else { false } } }

    /// The contact properties to `$select` when reading contacts galsync wrote.
    public var selectedKeys: [String] { fields.map(\.key) }

    /// `phone_format`, and the region for numbers without a country code ("" = each user's).
    public let phoneFormat: Configuration.ContactSettings.PhoneFormat
    public let defaultRegion: String
    /// The phone fields' places in `fields`, when numbers are formatted.
    let phoneIndexes: [Int]
    /// The contact properties that hold phone numbers.
    public static let phoneKeys: Set<String> = ["businessPhones", "homePhones", "mobilePhone"]

    init(_ fields: [(key: String, source: Field.Source, policy: ContactFieldRule.Policy)],
         phoneFormat: Configuration.ContactSettings.PhoneFormat = .asIs, defaultRegion: String = "") {
        let sorted = fields.sorted { $0.key < $1.key }
        var out: [Field] = []
        var first = true
        for f in sorted {
            let kind = ContactPropertyCatalog.kinds[f.key] ?? .text
            let hashed = f.policy != .createOnly
            var prefix: [UInt8] = hashed && !first ? [UInt8(ascii: ",")] : []
            if hashed { first = false }
            prefix += Array("\"\(f.key)\":".utf8)
            let shape: PackedFields.Shape = switch kind {
            case .text, .dateTime: .text
            case .texts: .texts
            case .emails: .emails
            case .address: .address
            case .email: .json
            }
            out.append(Field(key: f.key, prefix: prefix, shape: shape, kind: kind, source: f.source, policy: f.policy,
                             builtInIndex: Self.builtInKeys.firstIndex(of: f.key)))
        }
        self.fields = out
        index = Dictionary(uniqueKeysWithValues: out.enumerated().map { ($1.key, $0) })
        self.phoneFormat = phoneFormat
        self.defaultRegion = defaultRegion
        phoneIndexes = phoneFormat == .asIs ? [] : out.indices.filter { Self.phoneKeys.contains(out[$0].key) && out[$0].source != .none }
        hashed = out.map { $0.policy != .createOnly }
        readsCurrent = out.contains(where: \.readsCurrent)
        isBuiltInShape = out.map(\.key) == Self.builtInKeys && out.allSatisfy { ($0.source == .builtIn || $0.source == .none) && $0.policy == .overwrite }
        signature = out.filter { !($0.source == .builtIn && $0.policy == .overwrite) && $0.source != .none }
            .map { f in
                let from = switch f.source {
                case .builtIn: "built-in"
                case .user(let path): path.joined(separator: "/")
                case .copy: "copy"
                case .none: "none"
                case .notes(let t): "notes:" + t.text
                case .categories(let c): "categories:" + c.joined(separator: ",")
                case .template(let t): "template:" + t.text
                }
                return "\(f.key)<\(from):\(f.policy.rawValue)"
            }.joined(separator: ";") + (isBuiltInShape ? "" : "|keys=" + out.map(\.key).joined(separator: ","))
            + (phoneFormat == .asIs ? "" : "|phones=\(phoneFormat.rawValue):\(defaultRegion)")
    }

    /// The 11 built-in fields, sorted.
    static let builtInKeys = ContactFieldRule.defaultFields.sorted()

    /// Today's table: the 11 built-in fields, overwritten at every change.
    public static let standard = ContactFieldTable(ContactFieldRule.defaultFields.map { ($0, .builtIn, .overwrite) })

    /// The table of a directory-sourced list: the built-in fields less `exclude_fields`, and
    /// `[contact.fields]` (a rule on a built-in field without `from` keeps its source).
    public static func directory(_ contact: Configuration.ContactSettings) -> ContactFieldTable {
        guard !contact.fields.isEmpty || !contact.excludeFields.isEmpty || contact.notes != nil || !contact.categories.isEmpty
            || contact.phoneFormat != .asIs else { return standard }
        let excluded = Set(contact.excludeFields)
        var all: [String: (source: Field.Source, policy: ContactFieldRule.Policy)] = [:]
        for key in ContactFieldRule.defaultFields { all[key] = (excluded.contains(key) ? .none : .builtIn, .overwrite) }
        for (key, rule) in contact.fields { all[key] = (rule.template.map(Field.Source.template) ?? rule.from.map(Field.Source.user) ?? .builtIn, rule.policy) }
        if let notes = contact.notes { all["personalNotes"] = (.notes(notes), .overwrite) }
        if !contact.categories.isEmpty { all["categories"] = (.categories(contact.categories), .overwrite) }
        return ContactFieldTable(all.map { ($0.key, $0.value.source, $0.value.policy) }, phoneFormat: contact.phoneFormat, defaultRegion: contact.defaultRegion)
    }

    /// The table of a mailbox-sourced list: every writable contact property copied from the
    /// source contact (the single e-mail properties aside: `emailAddresses` carries them), less
    /// `exclude_fields`; `[contact.fields]` policies apply by name, their `from` does not.
    public static func copying(_ contact: Configuration.ContactSettings) -> ContactFieldTable {
        let excluded = Set(contact.excludeFields)
        return ContactFieldTable(copiedKeys.map { key in
            (key, excluded.contains(key) ? .none : .copy, contact.fields[key]?.policy ?? .overwrite)
        }, phoneFormat: contact.phoneFormat, defaultRegion: contact.defaultRegion)
    }

    /// The built-in fields less `fields` (tests and tools).
    public static func excluding(_ fields: Set<String>) -> ContactFieldTable {
        var settings = Configuration.ContactSettings()
        settings.excludeFields = fields.sorted()
        return directory(settings)
    }

    /// The properties a mailbox list copies.
    public static let copiedKeys = ContactPropertyCatalog.kinds.filter { $0.value != .email }.keys.sorted()

    /// The table a list writes with.
    public static func of(_ list: ContactList) -> ContactFieldTable {
        if case .mailbox = list.source { copying(list.contact) } else { directory(list.contact) }
    }

    /// The user properties this table reads beyond the built-in ones (for the delta `$select`).
    public var userProperties: Set<String> {
        fields.reduce(into: Set<String>()) { all, f in
            switch f.source {
            case .user(let path): all.insert(path[0])
            case .notes(let t), .template(let t): all.formUnion(t.properties)
            default: break
            }
        }.union(phoneFormat != .asIs && defaultRegion.isEmpty ? ["usageLocation"] : [])
    }

    /// Whether two tables hold the same fields under the same policies, so that projections
    /// made with them compare field by field (where the values came from does not matter).
    func same(as other: ContactFieldTable) -> Bool {
        self === other || (fields.count == other.fields.count && zip(fields, other.fields).allSatisfy { $0.key == $1.key && $0.policy == $1.policy })
    }
}
