import Foundation
import GalsyncCrypto

/// A faithful stand-in for the Microsoft identity platform and Microsoft Graph v1.0, as far as
/// galsync uses them: certificate client credentials, users and delta, groups, mailbox contact
/// folders and contacts, `$batch`, Outlook throttling and injected faults.
///
/// All state lives in this actor; the HTTP server (`SimulatorServer`) only converts messages.
/// Nothing here knows about galsync: behaviour follows Microsoft's documentation.
public actor GraphSimulator {
    public nonisolated let tenantId: String
    public nonisolated let tenantDomain: String
    public internal(set) var settings: SimulatorSettings

    var users: [String: SimUser] = [:]
    /// User ids in creation order, with the change sequence number that created each.
    var userOrder: [String] = []
    var createdSeq: [Int] = []
    var upnIndex: [String: String] = [:]
    var groups: [String: SimGroup] = [:]
    var groupOrder: [String] = []
    var changeLog: [DirectoryChange] = []
    /// Organizational contacts (`/contacts`), in creation order, and their change log (ids;
    /// a removal when deleted) for `/contacts/delta`.
    var orgContacts: [String: SimOrgContact] = [:]
    var orgContactOrder: [String] = []
    var orgContactLog: [(id: String, removed: Bool)] = []
    var deltaGeneration = 1
    var mailboxes: [String: Mailbox] = [:]
    var apps: [String: AppRegistration] = [:]
    var tokens: [String: IssuedToken] = [:]
    var usedAssertionIds: [String: Date] = [:]
    var counters = SimCounters()
    /// `$batch` requests being carried out now (their high-water mark is in `counters`).
    var batchesInFlight = 0
    var throttle = ThrottleState()
    var faultRandom: SeededRandom
    /// Canned answers queued by the control API (`POST /_sim/responses`), by route name, used
    /// once each before the real handler: hostile or malformed data on demand.
    var cannedResponses: [String: [SimResponse]] = [:]
    /// Contact photos by content, so that one photo in many mailboxes is one buffer.
    var photoBuffers: [Data: Data] = [:]
    var idSequence: UInt64 = 0
    let signingKey: PrivateKey
    let signingCertificate: Certificate
    let now: @Sendable () -> Date

    struct IssuedToken: Sendable {
        var clientId: String
        var roles: [String]
        var expires: Date
    }

    /// Makes a tenant from `seed` (users, groups, mailboxes) with no app registered yet.
    public init(seed: TenantSeed, settings: SimulatorSettings = SimulatorSettings(), now: @escaping @Sendable () -> Date = { Date() }) throws {
        var rng = SeededRandom(seed: seed.seed ^ 0x7E4A_17)
        tenantId = rng.guid()
        tenantDomain = "contoso.onmicrosoft.com"
        self.settings = settings
        self.now = now
        faultRandom = SeededRandom(seed: settings.faultSeed)
        signingKey = try PrivateKey.generateRSA(bits: 2048)
        signingCertificate = try Certificate.selfSigned(
            key: signingKey, subject: "CN=galsync-sim token signing", notAfter: Date() + 365 * 86_400)
        let made = seed.make()
        for user in made.users {
            users[user.id] = user
            userOrder.append(user.id)
            changeLog.append(DirectoryChange(userId: user.id, keys: user.setProperties, removal: nil, appeared: true))
            createdSeq.append(changeLog.count)
            upnIndex[user.userPrincipalName.lowercased()] = user.id
        }
        for group in made.groups { groups[group.id] = group; groupOrder.append(group.id) }
        for contact in made.orgContacts {
            orgContacts[contact.id] = contact
            orgContactOrder.append(contact.id)
            orgContactLog.append((contact.id, false))
        }
    }

    // MARK: Entry point

    /// Answers one HTTP request: identity endpoints, Graph v1.0, or the control API under `/_sim`.
    public func handle(_ request: SimRequest) async -> SimResponse {
        let segments = request.segments
        guard let first = segments.first else { return .graphError(404, "NotFound", "No such endpoint.", request: request) }
        if first == "_sim" { return control(request) }
        if first == "v1.0" { return await graph(request) }
        if first.lowercased() == "beta" {
            return .graphError(400, "BadRequest", "The simulator models Graph v1.0 only.", request: request)
        }
        return identity(request)
    }

    // MARK: Shared helpers

    func nextId(prefix: String) -> String {
        idSequence += 1
        var bytes = withUnsafeBytes(of: idSequence.bigEndian) { Data($0) }
        // A stable per-tenant salt (FNV-1a of the tenant id), so ids are deterministic run to run.
        let salt = tenantId.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
        bytes.append(contentsOf: withUnsafeBytes(of: salt.bigEndian) { Data($0) })
        // Exchange ids are long base64 strings and may end in '=': clients must escape them in URLs.
        return prefix + Base64URL.encode(bytes) + "="
    }

    func insertUser(_ user: SimUser) {
        users[user.id] = user
        userOrder.append(user.id)
        changeLog.append(DirectoryChange(userId: user.id, keys: user.setProperties, removal: nil, appeared: true))
        createdSeq.append(changeLog.count)
        upnIndex[user.userPrincipalName.lowercased()] = user.id
    }

    /// A user by object id or UPN (case-insensitive), deleted ones included.
    func lookupUser(_ idOrUPN: String) -> SimUser? {
        if let u = users[idOrUPN] { return u }
        if let u = users[idOrUPN.lowercased()] { return u }
        return upnIndex[idOrUPN.lowercased()].flatMap { users[$0] }
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
