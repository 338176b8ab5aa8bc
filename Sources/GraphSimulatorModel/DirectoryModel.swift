import Foundation
import GalsyncJSON

/// A directory user as Entra ID holds it. Graph properties live in `properties` under their Graph
/// names so that `$select`, `$filter` and delta change tracking work on any of them alike.
public struct SimUser: Sendable, Hashable {
    public var id: String
    public var properties: [String: JSONValue]
    /// Whether the user has an Exchange Online mailbox (not a Graph property).
    public var hasMailbox: Bool
    /// Soft-deleted users are gone from `/users` and reported by delta as `@removed`.
    public var deleted: Bool = false
    /// The mailbox's `mailboxSettings.userPurpose` (user, shared, room, equipment, linked,
    /// others): Exchange's, not a directory property, so never in `/users` nor the delta.
    public var purpose: String = "user"
    /// The user's profile photo, served by Exchange for users with a mailbox; nil: none.
    public var photo: SimUserPhoto?

    public var userPrincipalName: String { properties["userPrincipalName"]?.stringValue ?? id }

    /// Properties holding a value: what a newly created (or restored) user reports in delta.
    public var setProperties: Set<String> {
        Set(properties.filter { !$0.value.isNull && $0.value != .array([]) }.keys)
    }

    /// The user properties the simulator models, with `id` first. Graph has many more.
    public static let propertyNames = [
        "id", "displayName", "givenName", "surname", "userPrincipalName", "mail", "mailNickname",
        "businessPhones", "mobilePhone", "jobTitle", "department", "companyName", "officeLocation",
        "streetAddress", "city", "state", "postalCode", "country", "userType", "accountEnabled",
        "employeeId", "preferredLanguage", "usageLocation", "employeeType", "onPremisesExtensionAttributes", "showInAddressList",
    ]

    /// Properties `/users/delta` never returns, selected or not, and whose change alone makes
    /// no delta entry: Graph's known issue for `showInAddressList` (see docs/design/14-scope-facts.md).
    public static let notInDelta: Set<String> = ["showInAddressList"]

    /// `onPremisesExtensionAttributes` as Graph returns it: all fifteen keys, unset ones null.
    public static func extensionAttributes(_ set: [Int: String] = [:]) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: (1...15).map { ("extensionAttribute\($0)", set[$0].map(JSONValue.string) ?? .null) }))
    }

    /// The properties `/users` returns when no `$select` is given (Graph's default set).
    public static let defaultSelect = [
        "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
        "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id",
    ]

    public init(id: String, properties: [String: JSONValue], hasMailbox: Bool, deleted: Bool = false, purpose: String = "user", photo: SimUserPhoto? = nil) {
        self.id = id
        self.properties = properties
        self.hasMailbox = hasMailbox
        self.deleted = deleted
        self.purpose = purpose
        self.photo = photo
    }
}

/// A security or Microsoft 365 group; `members` holds user and group ids.
public struct SimGroup: Sendable, Hashable {
    public var id: String
    public var displayName: String
    public var members: [String]

    public init(id: String, displayName: String, members: [String]) {
        self.id = id
        self.displayName = displayName
        self.members = members
    }
}

/// A contact folder inside a mailbox.
public struct ContactFolder: Sendable, Hashable {
    public var id: String
    public var displayName: String
    public var parentFolderId: String

    public init(id: String, displayName: String, parentFolderId: String) {
        self.id = id
        self.displayName = displayName
        self.parentFolderId = parentFolderId
    }
}

/// A contact as Exchange stores it: its Graph properties plus extended properties by id.
public struct StoredContact: Sendable, Hashable {
    public var id: String
    public var folderId: String
    public var properties: [String: JSONValue]
    /// Single-value extended properties: property id (e.g. `String {guid} Name x`) → value.
    public var extendedProperties: [String: String]
    public var createdDateTime: Date
    public var lastModifiedDateTime: Date
    public var changeKey: String
    public var photo: Data?
    /// The mailbox's contact change number of this contact's last write, and of its arrival in
    /// its current folder (creation or move): what contacts delta compares tokens with.
    public var changeSeq = 0
    public var folderSeq = 0

    public init(id: String, folderId: String, properties: [String: JSONValue], extendedProperties: [String: String], createdDateTime: Date, lastModifiedDateTime: Date, changeKey: String, photo: Data? = nil) {
        self.id = id
        self.folderId = folderId
        self.properties = properties
        self.extendedProperties = extendedProperties
        self.createdDateTime = createdDateTime
        self.lastModifiedDateTime = lastModifiedDateTime
        self.changeKey = changeKey
        self.photo = photo
    }
}

/// One user's Exchange Online mailbox: its default Contacts folder, child folders and contacts.
public struct Mailbox: Sendable {
    public var ownerId: String
    public var defaultFolderId: String
    public var folders: [String: ContactFolder]
    public var contacts: [String: StoredContact]
    /// Change numbers, tombstones and token generation behind contacts delta.
    public var contactChanges = ContactChangeLog()

    public init(ownerId: String, defaultFolderId: String, folders: [String: ContactFolder], contacts: [String: StoredContact]) {
        self.ownerId = ownerId
        self.defaultFolderId = defaultFolderId
        self.folders = folders
        self.contacts = contacts
    }
}

/// An app registration (with its service principal in the tenant): what the token endpoint checks.
public struct AppRegistration: Sendable {
    public var clientId: String
    public var displayName: String
    /// Granted application permissions (the token's `roles` claim), e.g. `Contacts.ReadWrite`.
    public var roles: [String]
    public var certificates: [RegisteredCertificate]
    /// Exchange application access policy: when set, only these mailbox owner ids are reachable.
    public var mailboxScope: Set<String>?

    public init(clientId: String, displayName: String, roles: [String], certificates: [RegisteredCertificate], mailboxScope: Set<String>? = nil) {
        self.clientId = clientId
        self.displayName = displayName
        self.roles = roles
        self.certificates = certificates
        self.mailboxScope = mailboxScope
    }
}

/// A certificate uploaded to an app registration (a key credential).
public struct RegisteredCertificate: Sendable {
    public var der: Data
    public var sha1: Data
    public var sha256: Data
    public var notBefore: Date
    public var notAfter: Date

    public init(der: Data, sha1: Data, sha256: Data, notBefore: Date, notAfter: Date) {
        self.der = der
        self.sha1 = sha1
        self.sha256 = sha256
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}
