import Foundation
import GalsyncCrypto

/// What an administrator or a mailbox owner does outside the app's API: register apps, change
/// users and groups, touch mailboxes by hand, expire delta tokens, change limits and faults.
/// Tests call these directly; the control API (`/_sim`) exposes them over HTTP.
extension GraphSimulator {
    public struct AdminError: Error, Sendable, CustomStringConvertible {
        public let status: Int
        public let description: String
    }

    /// Registers an app with its certificates and granted application permissions.
    @discardableResult
    public func registerApp(clientId: String? = nil, displayName: String = "galsync", roles: [String], certificates: [Certificate]) -> String {
        var rng = SeededRandom(seed: UInt64(apps.count + 1) &* 0x5851_F42D)
        let id = (clientId ?? rng.guid()).lowercased()
        apps[id] = AppRegistration(clientId: id, displayName: displayName, roles: roles, certificates: certificates.map(Self.keyCredential), mailboxScope: nil)
        return id
    }

    static func keyCredential(_ c: Certificate) -> RegisteredCertificate {
        RegisteredCertificate(der: c.der, sha1: c.sha1Thumbprint, sha256: c.sha256Thumbprint, notBefore: c.notBefore, notAfter: c.notAfter)
    }

    public func addCertificate(clientId: String, _ certificate: Certificate) throws(AdminError) {
        guard apps[clientId.lowercased()] != nil else { throw AdminError(status: 404, description: "no app '\(clientId)'") }
        apps[clientId.lowercased()]!.certificates.append(Self.keyCredential(certificate))
    }

    /// Deletes an uploaded certificate, as Certificates & secrets → Delete or
    /// `az ad app credential delete --cert` does: new assertions signed with its key get
    /// AADSTS700027; tokens already issued stay valid until they expire, as in Entra.
    public func removeCertificate(clientId: String, sha1Thumbprint: Data) throws(AdminError) {
        guard let app = apps[clientId.lowercased()] else { throw AdminError(status: 404, description: "no app '\(clientId)'") }
        guard app.certificates.contains(where: { $0.sha1 == sha1Thumbprint }) else {
            throw AdminError(status: 404, description: "app '\(clientId)' has no certificate with SHA-1 \(Digest.hex(sha1Thumbprint).uppercased())")
        }
        apps[clientId.lowercased()]!.certificates.removeAll { $0.sha1 == sha1Thumbprint }
    }

    public func setRoles(clientId: String, _ roles: [String]) throws(AdminError) {
        guard apps[clientId.lowercased()] != nil else { throw AdminError(status: 404, description: "no app '\(clientId)'") }
        apps[clientId.lowercased()]!.roles = roles
    }

    /// Restricts an app to some mailboxes, as an Exchange application access policy does; nil lifts it.
    public func setMailboxScope(clientId: String, _ owners: [String]?) throws(AdminError) {
        guard apps[clientId.lowercased()] != nil else { throw AdminError(status: 404, description: "no app '\(clientId)'") }
        apps[clientId.lowercased()]!.mailboxScope = owners.map { Set($0.compactMap { lookupUser($0)?.id }) }
    }

    public func updateSettings(_ patch: JSONValue) throws -> SimulatorSettings {
        let merged = try settings.merging(patch)
        if merged.faultSeed != settings.faultSeed { faultRandom = SeededRandom(seed: merged.faultSeed) }
        settings = merged
        return settings
    }

    public func counterSnapshot() -> JSONValue { counters.json(highestConcurrency: throttle.highestConcurrency) }
    public func resetCounters() { counters = SimCounters(); throttle.resetHighWater() }
    public var allUserIds: [String] { userOrder.filter { users[$0]?.deleted == false } }
    public func user(_ idOrUPN: String) -> SimUser? { lookupUser(idOrUPN) }
    public func group(named name: String) -> SimGroup? { groups.values.first { $0.displayName == name } }
    public func groupIds() -> [String] { groupOrder }

    /// Creates a user (a new hire). Returns its id.
    @discardableResult
    public func createUser(_ properties: [String: JSONValue], hasMailbox: Bool = true) throws(AdminError) -> String {
        var rng = SeededRandom(seed: UInt64(changeLog.count) &* 0x2545_F491 ^ UInt64(userOrder.count))
        let id = properties["id"]?.stringValue?.lowercased() ?? rng.guid()
        guard users[id] == nil else { throw AdminError(status: 409, description: "user \(id) exists") }
        var p = properties
        p["id"] = .string(id)
        for name in SimUser.propertyNames where p[name] == nil { p[name] = name == "businessPhones" ? .array([]) : .null }
        if p["userPrincipalName"] == .null { p["userPrincipalName"] = .string("\(id)@contoso.com") }
        if p["accountEnabled"] == .null { p["accountEnabled"] = true }
        if p["userType"] == .null { p["userType"] = "Member" }
        for key in p.keys where !SimUser.propertyNames.contains(key) {
            throw AdminError(status: 400, description: "unknown user property '\(key)'")
        }
        insertUser(SimUser(id: id, properties: p, hasMailbox: hasMailbox))
        return id
    }

    /// Changes user properties; only values that really change are recorded for delta.
    public func updateUser(_ idOrUPN: String, _ changes: [String: JSONValue], hasMailbox: Bool? = nil) throws(AdminError) {
        guard var user = lookupUser(idOrUPN) else { throw AdminError(status: 404, description: "no user '\(idOrUPN)'") }
        var changed: Set<String> = []
        for (key, value) in changes {
            guard SimUser.propertyNames.contains(key), key != "id" else { throw AdminError(status: 400, description: "unknown or read-only user property '\(key)'") }
            if user.properties[key] != value { user.properties[key] = value; changed.insert(key) }
        }
        if let hasMailbox { user.hasMailbox = hasMailbox }
        if changed.contains("userPrincipalName") {
            upnIndex = upnIndex.filter { $0.value != user.id }
            upnIndex[user.userPrincipalName.lowercased()] = user.id
        }
        users[user.id] = user
        changed.subtract(SimUser.notInDelta)  // Graph's delta does not see these change
        if !changed.isEmpty { changeLog.append(DirectoryChange(userId: user.id, keys: changed, removal: nil)) }
    }

    /// Converts a mailbox (`Set-Mailbox -Type Shared` and the like): Exchange's, so no delta entry.
    public func setMailboxPurpose(_ idOrUPN: String, _ purpose: String) throws(AdminError) {
        guard var user = lookupUser(idOrUPN) else { throw AdminError(status: 404, description: "no user '\(idOrUPN)'") }
        user.purpose = purpose
        users[user.id] = user
    }

    /// Deletes a user: soft (restorable, delta reason `changed`) or permanent (`deleted`).
    public func deleteUser(_ idOrUPN: String, permanent: Bool = false) throws(AdminError) {
        guard let user = lookupUser(idOrUPN), !user.deleted else { throw AdminError(status: 404, description: "no user '\(idOrUPN)'") }
        users[user.id]!.deleted = true
        changeLog.append(DirectoryChange(userId: user.id, keys: [], removal: permanent ? "deleted" : "changed"))
    }

    public func restoreUser(_ id: String) throws(AdminError) {
        guard let user = users[id], user.deleted else { throw AdminError(status: 404, description: "no deleted user '\(id)'") }
        users[id]!.deleted = false
        changeLog.append(DirectoryChange(userId: id, keys: user.setProperties, removal: nil, appeared: true))
    }

    public func changeMembers(group: String, add: [String] = [], remove: [String] = []) throws(AdminError) {
        guard groups[group.lowercased()] != nil else { throw AdminError(status: 404, description: "no group '\(group)'") }
        for id in add where !groups[group.lowercased()]!.members.contains(id.lowercased()) {
            guard users[id.lowercased()] != nil || groups[id.lowercased()] != nil || orgContacts[id.lowercased()] != nil else { throw AdminError(status: 404, description: "no user, group or org contact '\(id)'") }
            groups[group.lowercased()]!.members.append(id.lowercased())
        }
        groups[group.lowercased()]!.members.removeAll { remove.map { $0.lowercased() }.contains($0) }
    }

    @discardableResult
    public func createGroup(displayName: String, members: [String]) -> String {
        var rng = SeededRandom(seed: UInt64(groupOrder.count) &* 0x9E37_79B9)
        let id = rng.guid()
        groups[id] = SimGroup(id: id, displayName: displayName, members: members.map { $0.lowercased() })
        groupOrder.append(id)
        return id
    }

    /// Expires every delta token handed out so far; `mode` picks 400 syncStateNotFound or 410 Gone.
    public func expireDeltaTokens(mode: String? = nil) {
        deltaGeneration += 1
        if let mode { settings.expiredDeltaMode = mode }
    }

    func ownerMailbox(_ idOrUPN: String) throws(AdminError) -> String {
        guard let user = lookupUser(idOrUPN), user.hasMailbox, !user.deleted else { throw AdminError(status: 404, description: "no mailbox for '\(idOrUPN)'") }
        if mailboxes[user.id] == nil {
            mailboxes[user.id] = Mailbox(ownerId: user.id, defaultFolderId: nextId(prefix: "AQMkAD"), folders: [:], contacts: [:])
        }
        return user.id
    }

    /// A contact the mailbox owner made in Outlook (in `folderId`, or the default Contacts folder).
    @discardableResult
    public func ownerCreatesContact(mailbox: String, folderId: String? = nil, properties: [String: JSONValue], extendedProperties: [String: String] = [:]) throws(AdminError) -> String {
        let owner = try ownerMailbox(mailbox)
        let folder = folderId ?? mailboxes[owner]!.defaultFolderId
        guard folder == mailboxes[owner]!.defaultFolderId || mailboxes[owner]!.folders[folder] != nil else {
            throw AdminError(status: 404, description: "no folder '\(folder)'")
        }
        let t = now()
        let c = StoredContact(id: nextId(prefix: "AAMkAG"), folderId: folder, properties: properties,
                              extendedProperties: Dictionary(extendedProperties.map { (ExtendedPropertyId.canonical($0.key), $0.value) }, uniquingKeysWith: { $1 }),
                              createdDateTime: t, lastModifiedDateTime: t, changeKey: nextChangeKey(), photo: nil)
        mailboxes[owner]!.contacts[c.id] = c
        recordContactWrite(owner, c.id, previousFolder: nil)
        return c.id
    }

    /// The owner edits a contact in Outlook (drift for galsync to repair); a `parentFolderId`
    /// moves it to that folder (id, or `contacts` for the default one).
    public func ownerEditsContact(mailbox: String, contactId: String, properties: [String: JSONValue]) throws(AdminError) {
        let owner = try ownerMailbox(mailbox)
        guard let before = mailboxes[owner]!.contacts[contactId] else { throw AdminError(status: 404, description: "no contact '\(contactId)'") }
        var properties = properties
        if let target = properties.removeValue(forKey: "parentFolderId") {
            guard let folder = target.stringValue.flatMap({ resolveFolder(owner, $0) }) else { throw AdminError(status: 404, description: "no folder '\(target)'") }
            mailboxes[owner]!.contacts[contactId]!.folderId = folder
        }
        for (k, v) in properties { mailboxes[owner]!.contacts[contactId]!.properties[k] = v }
        mailboxes[owner]!.contacts[contactId]!.changeKey = nextChangeKey()
        mailboxes[owner]!.contacts[contactId]!.lastModifiedDateTime = now()
        recordContactWrite(owner, contactId, previousFolder: before.folderId)
    }

    public func ownerDeletesContact(mailbox: String, contactId: String) throws(AdminError) {
        let owner = try ownerMailbox(mailbox)
        guard let removed = mailboxes[owner]!.contacts.removeValue(forKey: contactId) else { throw AdminError(status: 404, description: "no contact '\(contactId)'") }
        recordContactRemoval(owner, removed)
    }

    public func ownerDeletesFolder(mailbox: String, folderId: String) throws(AdminError) {
        let owner = try ownerMailbox(mailbox)
        guard mailboxes[owner]!.folders[folderId] != nil else { throw AdminError(status: 404, description: "no folder '\(folderId)'") }
        removeFolder(owner, folderId)
    }

    /// Queues a canned answer for the next request to `route` (e.g. `GET /users/delta`, or
    /// `POST /$batch` for the whole batch; a batch item takes its own route's answers):
    /// malformed JSON, wrong types, links to another host, whatever a test needs.
    public func queueResponse(route: String, status: Int = 200, body: Data, headers: [String: String] = ["Content-Type": "application/json"]) {
        cannedResponses[route, default: []].append(SimResponse(status: status, headers: headers, body: body))
    }

    /// Drops every canned answer not yet given.
    public func clearCannedResponses() { cannedResponses = [:] }

    // MARK: State for assertions

    public func mailboxState(_ idOrUPN: String) -> JSONValue {
        guard let user = lookupUser(idOrUPN), let box = mailboxes[user.id] else { return .null }
        return renderMailbox(box)
    }

    func renderMailbox(_ box: Mailbox) -> JSONValue {
        let folders = box.folders.values.sorted { $0.id < $1.id }.map(renderFolder)
        let contacts: [JSONValue] = box.contacts.values.sorted { ($0.createdDateTime, $0.id) < ($1.createdDateTime, $1.id) }.map { c in
            var o = renderContact(c, select: nil, expand: nil).objectValue!
            o["extendedProperties"] = .object(c.extendedProperties.mapValues(JSONValue.string))
            o["hasPhoto"] = .bool(c.photo != nil)
            return .object(o)
        }
        return ["ownerId": .string(box.ownerId), "defaultFolderId": .string(box.defaultFolderId), "folders": .array(folders), "contacts": .array(contacts)]
    }

    /// Everything: tenant, users, groups, mailboxes, apps (thumbprints only), settings.
    public func fullState() -> JSONValue {
        let userList: [JSONValue] = userOrder.compactMap { users[$0] }.map { u in
            var o = u.properties
            o["hasMailbox"] = .bool(u.hasMailbox)
            o["purpose"] = .string(u.purpose)
            o["deleted"] = .bool(u.deleted)
            return .object(o)
        }
        let groupList: [JSONValue] = groupOrder.compactMap { groups[$0] }.map {
            ["id": .string($0.id), "displayName": .string($0.displayName), "members": .array($0.members.map(JSONValue.string))]
        }
        let appList: [JSONValue] = apps.values.sorted { $0.clientId < $1.clientId }.map { a in
            ["clientId": .string(a.clientId), "displayName": .string(a.displayName), "roles": .array(a.roles.map(JSONValue.string)),
             "certificateThumbprints": .array(a.certificates.map { .string(Digest.hex($0.sha1).uppercased()) }),
             "mailboxScope": a.mailboxScope.map { .array($0.sorted().map(JSONValue.string)) } ?? .null]
        }
        return [
            "tenantId": .string(tenantId), "tenantDomain": .string(tenantDomain), "users": .array(userList), "groups": .array(groupList),
            "mailboxes": .object(mailboxes.mapValues(renderMailbox)), "apps": .array(appList),
            "deltaGeneration": .number(Double(deltaGeneration)), "settings": JSONValue.parse((try? JSONEncoder().encode(settings)) ?? Data()) ?? .null,
        ]
    }
}
