import GraphFilter

/// One entry of `[contact.fields]`: where a contact property's value comes from and how galsync
/// treats the mailbox's copy of it. Checked once at load against Graph's contact and user
/// properties (`ContactPropertyCatalog`), so a mapping that cannot work is an error there.
public struct ContactFieldRule: Sendable, Equatable {
    /// What galsync does with the field after it wrote it once.
    public enum Policy: String, Sendable, CaseIterable {
        /// The directory's value at every change and every reconcile (today's behaviour).
        case overwrite
        /// The directory's value, unless the mailbox holds another value than galsync last wrote.
        case keepEdits = "keep_edits"
        /// Written when the contact is created, never after.
        case createOnly = "create_only"
    }

    /// The user property path (`["onPremisesExtensionAttributes", "extensionAttribute1"]`) in
    /// Graph's spelling; nil for the field's built-in source (one of the 11 default fields).
    public var from: [String]?
    /// The kind of `from`'s value.
    public var fromKind: UserPropertyCatalog.Kind?
    /// A text with `{property}` parts instead of one property (`"{surname}, {givenName}"`).
    public var template: NotesTemplate?
    public var policy: Policy

    public init(from: [String]? = nil, fromKind: UserPropertyCatalog.Kind? = nil, template: NotesTemplate? = nil, policy: Policy = .overwrite) {
        self.from = from
        self.fromKind = fromKind
        self.template = template
        self.policy = policy
    }

    /// `from` as written in the configuration (`a/b`, or the template).
    public var fromText: String? { template?.text ?? from?.joined(separator: "/") }

    /// The fields galsync writes when `[contact.fields]` says nothing, each from its built-in source.
    public static let defaultFields = [
        "displayName", "givenName", "surname", "emailAddresses", "businessPhones", "mobilePhone",
        "jobTitle", "department", "companyName", "officeLocation", "businessAddress",
    ]

    /// Whether a user property of `kind` can fill a contact property of `target`; nil if it can,
    /// else why not.
    public static func mismatch(_ kind: UserPropertyCatalog.Kind, into target: ContactPropertyCatalog.Kind) -> String? {
        switch (target, kind) {
        case (.text, .text), (.text, .dateTime), (.text, .number), (.text, .boolean): return nil
        case (.texts, .text), (.texts, .texts): return nil
        case (.emails, .text), (.emails, .texts), (.email, .text): return nil
        case (.dateTime, .dateTime): return nil
        case (.text, .texts), (.dateTime, .texts), (.email, .texts): return "a collection cannot fill a single value"
        case (.address, _): return "an address is filled only from the user's streetAddress, city, state, postalCode and country (businessAddress's built-in source)"
        default: return "a \(kind) property cannot fill a \(target) field"
        }
    }
}
