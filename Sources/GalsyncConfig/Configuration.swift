import Foundation

/// galsync's whole configuration, typed and validated once (see `ConfigurationLoader`).
/// Defaults live here and nowhere else.
public struct Configuration: Sendable, Equatable {
    public var tenant: TenantSettings
    public var sync: SyncSettings
    public var directory: DirectoryScope
    public var mailboxes: MailboxTargets
    public var contact: ContactSettings
    /// `[[list]]`, in the file's order; empty: the top-level tables and `sync.folder` are the
    /// one list (`implicitList`), as before lists existed.
    public var lists: [ContactList]
    /// The tenant's name in a many-tenant install (`name = "fabrikam"` at the top of its file);
    /// "" for a plain single-tenant `galsync.toml`. Logs carry it (`GALSYNC_TENANT`), metrics
    /// as a `tenant` label.
    public var name = ""

    public init(tenant: TenantSettings, sync: SyncSettings = SyncSettings(), directory: DirectoryScope = DirectoryScope(),
                mailboxes: MailboxTargets = MailboxTargets(), contact: ContactSettings = ContactSettings(), lists: [ContactList] = []) {
        self.tenant = tenant
        self.sync = sync
        self.directory = directory
        self.mailboxes = mailboxes
        self.contact = contact
        self.lists = lists
    }

    /// `[tenant]`: who galsync is and where Microsoft is.
    public struct TenantSettings: Sendable, Equatable {
        /// Tenant GUID or verified domain.
        public var id: String
        public var clientId: String
        /// PEM certificate, or a PKCS#12 file holding key and certificate.
        public var certificate: String
        /// PEM private key; optional with PKCS#12. The systemd credential `galsync.key` wins when present.
        public var privateKey: String?
        /// File holding the passphrase of an encrypted key or PKCS#12 file.
        public var passphraseFile: String?
        public var cloud: Cloud
        public var loginEndpoint: URL
        public var graphEndpoint: URL
        /// CA bundle used instead of the system one (for TLS-inspecting proxies: include the
        /// system roots and the proxy's root); TLS is always verified.
        public var caFile: String?
        /// `PS256` (default, what Microsoft documents today) or `RS256` for environments that need it.
        public var assertionAlgorithm: String

        public init(id: String, clientId: String, certificate: String, privateKey: String? = nil, passphraseFile: String? = nil,
                    cloud: Cloud = .global, loginEndpoint: URL? = nil, graphEndpoint: URL? = nil, caFile: String? = nil, assertionAlgorithm: String = "PS256") {
            self.id = id
            self.clientId = clientId
            self.certificate = certificate
            self.privateKey = privateKey
            self.passphraseFile = passphraseFile
            self.cloud = cloud
            self.loginEndpoint = loginEndpoint ?? cloud.loginEndpoint
            self.graphEndpoint = graphEndpoint ?? cloud.graphEndpoint
            self.caFile = caFile
            self.assertionAlgorithm = assertionAlgorithm
        }
    }

    /// `[sync]`: how and how often.
    public struct SyncSettings: Sendable, Equatable {
        public var interval: TimeInterval = 15 * 60
        public var state: String = SyncSettings.defaultStatePath()
        /// Contact folder in each mailbox; "" is the default Contacts folder, which phones show.
        public var folder: String = "Company Directory"
        public var fullReconcile: TimeInterval = 24 * 3600
        /// How often a cycle asks each managed folder (contacts delta, 20 mailboxes per request)
        /// what its owner changed, and repairs exactly that; 0: at every cycle. An hour keeps an
        /// idle cycle between checks at its usual few requests, and an owner's edit is undone
        /// within the hour instead of at the daily full listing.
        public var driftCheck: TimeInterval = 3600
        public var maxDeletesPercent: Double = 20
        /// Most Outlook operations in flight at once: `concurrency / 4` batches of 20 (Graph runs
        /// 4 items of a batch at a time). The default lets 256 mailboxes be written at once, so
        /// that latency (100–500 ms per item in Graph), not galsync, bounds a cycle; fewer are
        /// in flight when fewer mailboxes have work or Graph's global per-app limit would bind.
        public var concurrency: Int = 1024
        /// Prometheus textfile written after each cycle, if set.
        public var metricsFile: String?
        /// This tenant's share of Graph's global per-app ceiling (not a file key): 1 / the number
        /// of tenants of the install that use the same app registration.
        public var appShare = 1.0

        public init() {}

        /// `$STATE_DIRECTORY/state.db` under systemd, else `/var/lib/galsync/state.db`.
        public static func defaultStatePath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
            if let dir = environment["STATE_DIRECTORY"]?.split(separator: ":").first { return "\(dir)/state.db" }
            return "/var/lib/galsync/state.db"
        }
    }

    /// `[directory]`: which users become contacts.
    public struct DirectoryScope: Sendable, Equatable {
        public var includeGroups: [String] = []
        public var excludeGroups: [String] = []
        public var includeGuests = false
        public var includeDisabled = false
        public var require: [String] = ["mail"]
        /// Only users this rule keeps are sources; nil: every user the other rules let through.
        public var `where`: WhereRule?
        /// Users whose `showInAddressList` is false (Entra's flag) are not sources.
        public var honorHidden = true
        /// `mailboxSettings.userPurpose` values whose mailboxes are neither sources nor targets.
        public var excludeMailboxTypes: [String] = ["shared", "room", "equipment"]
        /// The tenant's mail contacts (orgContact) become contacts too (`require`, `where` and
        /// `exclude_groups` apply; `include_groups` limits users only).
        public var includeOrgContacts = false
        /// The values `userPurpose` takes (v1.0 `userPurpose` enum, less `unknownFutureValue`).
        public static let mailboxTypes = ["user", "linked", "shared", "room", "equipment", "others"]
        public init() {}
    }

    /// `[mailboxes]`: which mailboxes receive the contacts.
    public struct MailboxTargets: Sendable, Equatable {
        public var groups: [String] = []
        public var users: [String] = []
        public var all = false
        public var includeSelf = false
        /// Only mailboxes whose owner this rule keeps are targets, whichever rule named them.
        public var `where`: WhereRule?
        public init() {}
        /// No rule names a mailbox (not all, no group, no user): a list with no targets.
        public var namesNone: Bool { !all && groups.isEmpty && users.isEmpty }
    }

    /// `[contact]`.
    public struct ContactSettings: Sendable, Equatable {
        public var excludeFields: [String] = []
        /// `[contact.fields]`: Graph contact property → its rule, checked at load.
        public var fields: [String: ContactFieldRule] = [:]
        /// Outlook categories put on every managed contact, beside the owner's own.
        public var categories: [String] = []
        /// galsync's part of `personalNotes`; nil: galsync leaves the notes alone.
        public var notes: NotesTemplate?
        /// How phone numbers are written (`phone_format`).
        public var phoneFormat: PhoneFormat = .asIs
        /// ISO 3166-1 alpha-2 region for numbers without a country code; "" = the user's
        /// usageLocation, else country.
        public var defaultRegion = ""
        /// Copy each user's photo to their contacts (`photos`).
        public var photos = false
        /// Which of Graph's square photo sizes to copy, in pixels; nil = the full photo
        /// (`photo_size = ""`). A user whose original is smaller gets their largest size.
        public var photoSize: Int? = 240
        /// `[contact.fields] photo = { policy = … }`: overwrite puts galsync's photo back where the
        /// owner changed or removed it (at a full reconcile); keep_edits leaves the owner's.
        public var photoPolicy: ContactFieldRule.Policy = .overwrite

        /// Graph's profile photo sizes (profilephoto-get: "48x48, 64x64, 96x96, 120x120, 240x240,
        /// 360x360, 432x432, 504x504, and 648x648").
        public static let photoSizes = [48, 64, 96, 120, 240, 360, 432, 504, 648]

        /// `phone_format`: as the directory holds them, or parsed and formatted for caller ID.
        public enum PhoneFormat: String, Sendable, CaseIterable {
            case asIs = "as_is", e164, international
        }
        public init() {}
    }
}
