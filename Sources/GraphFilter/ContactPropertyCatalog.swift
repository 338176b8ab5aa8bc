/// The properties of a Graph `contact` (v1.0 CSDL, `EntityType contact` and its base
/// `outlookItem`) that a contact field may be: checked once at config load, so a typo in
/// `[contact.fields]` is an error, not a field Exchange rejects in every batch. A test holds this
/// table to the simulator's schema, which is generated from the CSDL.
public enum ContactPropertyCatalog {
    /// The value a property holds.
    public enum Kind: Sendable, Equatable {
        /// `Edm.String`.
        case text
        /// `Collection(Edm.String)`: phones, categories, children, IM addresses.
        case texts
        /// `Collection(graph.emailAddress)`.
        case emails
        /// `graph.physicalAddress`.
        case address
        /// `Edm.DateTimeOffset` (`birthday`).
        case dateTime
        /// One `graph.emailAddress` (`primaryEmailAddress`…).
        case email
    }

    /// Every writable property, by Graph's name.
    public static let kinds: [String: Kind] = [
        "assistantName": .text, "birthday": .dateTime, "businessAddress": .address, "businessHomePage": .text,
        "businessPhones": .texts, "categories": .texts, "children": .texts, "companyName": .text, "department": .text,
        "displayName": .text, "emailAddresses": .emails, "fileAs": .text, "generation": .text, "givenName": .text,
        "homeAddress": .address, "homePhones": .texts, "imAddresses": .texts, "initials": .text, "jobTitle": .text,
        "manager": .text, "middleName": .text, "mobilePhone": .text, "nickName": .text, "officeLocation": .text,
        "otherAddress": .address, "personalNotes": .text, "primaryEmailAddress": .email, "profession": .text,
        "secondaryEmailAddress": .email, "spouseName": .text, "surname": .text, "tertiaryEmailAddress": .email,
        "title": .text, "yomiCompanyName": .text, "yomiGivenName": .text, "yomiSurname": .text,
    ]

    /// Properties of the type that no contact field may be, and why.
    public static let notFields: [String: String] = [
        "id": "Exchange sets it", "changeKey": "Exchange sets it", "createdDateTime": "Exchange sets it",
        "lastModifiedDateTime": "Exchange sets it", "parentFolderId": "the folder is sync.folder (or the list's folder)",
    ]

    /// The most items Exchange takes in a collection (more is a 400).
    public static let collectionLimits = ["businessPhones": 2, "homePhones": 2, "emailAddresses": 3, "imAddresses": 3]

    /// The parts of a `physicalAddress`.
    public static let addressParts = ["street", "city", "state", "postalCode", "countryOrRegion"]

    /// Graph's spelling of `name`, matched without case.
    public static func canonicalName(_ name: String) -> String? {
        lowercased[name.lowercased()]
    }

    static let lowercased: [String: String] = Dictionary(uniqueKeysWithValues: kinds.keys.map { ($0.lowercased(), $0) })

    /// The kind of user property `path` (`mailNickname`, `onPremisesExtensionAttributes/extensionAttribute1`)
    /// with Graph's spelling, or why it cannot be read.
    public static func userSource(_ path: String) -> Result<(path: [String], kind: UserPropertyCatalog.Kind), SourceError> {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, !parts.contains(where: \.isEmpty) else { return .failure(.init("'\(path)' is not a property path; write a user property, or one '/' into it (onPremisesExtensionAttributes/extensionAttribute1)")) }
        if UserPropertyCatalog.isDirectoryExtension(parts[0]), parts.count == 1 { return .success(([parts[0]], .text)) }
        guard let name = UserPropertyCatalog.lowercased[parts[0].lowercased()] else {
            let near = UserPropertyCatalog.kinds.keys.filter { UserPropertyCatalog.editDistance($0.lowercased(), parts[0].lowercased()) <= 2 }.sorted().first
            return .failure(.init("'\(parts[0])' is not a property of a Graph user" + (near.map { " (did you mean '\($0)'?)" } ?? "")))
        }
        if let why = UserPropertyCatalog.unreadable[name] { return .failure(.init("'\(name)' cannot be read with the directory: \(why)")) }
        let kind = UserPropertyCatalog.kinds[name]!
        guard parts.count == 2 else { return .success(([name], kind)) }
        guard let inner = UserPropertyCatalog.members[name] else { return .failure(.init("galsync cannot reach into '\(name)' (it has no parts)")) }
        guard let sub = inner.first(where: { $0.key.lowercased() == parts[1].lowercased() }) else {
            return .failure(.init("'\(parts[1])' is not part of '\(name)' (it has \(inner.keys.sorted().prefix(3).joined(separator: ", ")), …)"))
        }
        return .success(([name, sub.key], sub.value))
    }

    public struct SourceError: Error, Sendable, Equatable {
        public let message: String
        init(_ message: String) { self.message = message }
    }
}
