import Foundation
import GalsyncCrypto

/// The state behind a contacts delta `$skiptoken` or `$deltatoken` (opaque base64url JSON).
/// `$select` of the first request travels inside, as Graph encodes query options into its links.
struct ContactDeltaToken: Codable, Sendable {
    var mailbox: String
    var folder: String
    var generation: Int
    /// `nil` in the first round, which lists every contact of the folder as of `to`.
    var from: Int?
    var to: Int
    /// The last entry of the previous page (change number, id) within the round.
    var afterSeq: Int?
    var afterId: String?
    var select: [String]?
    var issued: Date

    enum CodingKeys: String, CodingKey {
        case mailbox = "m", folder = "f", generation = "g", from = "a", to = "b", afterSeq = "p", afterId = "i", select = "s", issued = "t"
    }

    func encoded() -> String { Base64URL.encode((try? JSONEncoder().encode(self)) ?? Data()) }

    static func decode(_ text: String) -> ContactDeltaToken? {
        Base64URL.decode(text).flatMap { try? JSONDecoder().decode(ContactDeltaToken.self, from: $0) }
    }
}

extension GraphSimulator {
    static let expiredContactDeltaModes: Set<String> = ["gone", "badRequest", "syncStateInvalid"]
    /// Query options Graph documents no support for on contacts delta (only `$select` is).
    static let unsupportedContactDeltaOptions: Set<String> = ["filter", "orderby", "expand", "search", "top", "skip", "count"]

    static func isDeltaSegment(_ lowered: String) -> Bool {
        lowered == "delta" || lowered == "delta()" || lowered == "microsoft.graph.delta" || lowered == "microsoft.graph.delta()"
    }

    /// OData key segments (`users('id')`, `contactFolders('id')`, as in Graph's delta links)
    /// split into the plain form (`users`, `id`).
    static func splitKeySegments(_ path: [String]) -> [String] {
        guard path.contains(where: { $0.hasSuffix("')") }) else { return path }
        var out: [String] = []
        for seg in path {
            if seg.hasSuffix("')"), let open = seg.range(of: "('"), open.lowerBound > seg.startIndex, open.upperBound <= seg.index(seg.endIndex, offsetBy: -2) {
                out.append(String(seg[..<open.lowerBound]))
                out.append(String(seg[open.upperBound..<seg.index(seg.endIndex, offsetBy: -2)]).replacingOccurrences(of: "''", with: "'"))
            } else {
                out.append(seg)
            }
        }
        return out
    }

    // MARK: Change tracking hooks

    /// Stamps a write of contact `id` (already stored in `mailbox`) for contacts delta.
    /// `previousFolder`: its folder before the write, `nil` for a new contact.
    func recordContactWrite(_ mailbox: String, _ id: String, previousFolder: String?) {
        guard var contact = mailboxes[mailbox]?.contacts[id] else { return }
        mailboxes[mailbox]!.contactChanges.sequence += 1
        let seq = mailboxes[mailbox]!.contactChanges.sequence
        if let previousFolder, previousFolder != contact.folderId {
            mailboxes[mailbox]!.contactChanges.tombstones.append(ContactTombstone(id: id, folderId: previousFolder, seq: seq, entered: contact.folderSeq))
        }
        if previousFolder != contact.folderId { contact.folderSeq = seq }
        contact.changeSeq = seq
        mailboxes[mailbox]!.contacts[id] = contact
    }

    /// Leaves a tombstone for a contact removed from `mailbox` (deleted, or its folder deleted).
    func recordContactRemoval(_ mailbox: String, _ contact: StoredContact) {
        mailboxes[mailbox]!.contactChanges.sequence += 1
        let seq = mailboxes[mailbox]!.contactChanges.sequence
        mailboxes[mailbox]!.contactChanges.tombstones.append(ContactTombstone(id: contact.id, folderId: contact.folderId, seq: seq, entered: contact.folderSeq))
    }

    /// Expires every contacts delta and skip token of a mailbox (as Exchange's token cache
    /// dropping them would); `mode` also sets `expiredContactDeltaMode`.
    public func expireContactDeltaTokens(mailbox: String, mode: String? = nil) throws(AdminError) {
        if let mode, !Self.expiredContactDeltaModes.contains(mode) {
            throw AdminError(status: 400, description: "mode must be one of \(Self.expiredContactDeltaModes.sorted().joined(separator: ", "))")
        }
        let owner = try ownerMailbox(mailbox)
        mailboxes[owner]!.contactChanges.generation += 1
        if let mode { settings.expiredContactDeltaMode = mode }
    }

    // MARK: The delta function

    /// `folderRoute`: the request named the folder (`contactFolders/{f}/contacts/delta`); links
    /// keep the form the client used.
    func contactsDelta(_ request: SimRequest, _ mailbox: String, folder: String, folderRoute: Bool) -> SimResponse {
        guard request.method == "GET" else { return methodNotAllowed(request) }
        let log = mailboxes[mailbox]!.contactChanges
        var token: ContactDeltaToken
        let skip = request.option("skiptoken").flatMap { $0.isEmpty ? nil : $0 }
        let delta = request.option("deltatoken").flatMap { $0.isEmpty ? nil : $0 }
        if let raw = skip ?? delta {
            // Later requests: the token holds the query options; others on the URL are ignored.
            guard let t = ContactDeltaToken.decode(raw) else {
                return .graphError(400, "ErrorInvalidSyncStateData", "The sync state data is corrupt or otherwise invalid.", request: request)
            }
            guard t.mailbox == mailbox, t.folder == folder else {
                return .graphError(400, "ErrorInvalidSyncStateData", "The sync state was issued for another folder or mailbox.", request: request)
            }
            if t.generation != log.generation || now().timeIntervalSince(t.issued) > settings.contactDeltaTokenLifetimeSeconds {
                return expiredContactDelta(t, current: log.generation, request: request)
            }
            token = t
            if skip == nil {
                // A deltaLink starts a new round from where the last one ended.
                token = ContactDeltaToken(mailbox: mailbox, folder: folder, generation: t.generation, from: t.to, to: log.sequence,
                                          afterSeq: nil, afterId: nil, select: t.select, issued: now())
            }
        } else {
            for key in request.query.keys {
                let name = (key.hasPrefix("$") ? String(key.dropFirst()) : key).lowercased()
                if Self.unsupportedContactDeltaOptions.contains(name) {
                    return .graphError(400, "ErrorInvalidUrlQuery", "The following parameters are not supported with change tracking over the 'Contacts' resource: '$\(name)'.", request: request)
                }
            }
            let select: [String]?
            switch parseContactSelect(request) { case .failure(let r): return r; case .success(let s): select = s }
            token = ContactDeltaToken(mailbox: mailbox, folder: folder, generation: log.generation, from: nil, to: log.sequence,
                                      afterSeq: nil, afterId: nil, select: select, issued: now())
        }

        var pageSize = settings.contactDeltaPageSize
        if let prefer = request.headers["prefer"]?.lowercased(), let r = prefer.range(of: "odata.maxpagesize=") {
            pageSize = Int(prefer[r.upperBound...].prefix { $0.isNumber }) ?? pageSize
        }
        pageSize = Swift.max(1, Swift.min(1000, pageSize))

        // The round's entries in change order: contacts of the folder changed in (from, to], and
        // contacts the client knew (there at `from`) that left the folder since and are not back.
        var entries: [(seq: Int, id: String, contact: StoredContact?)] = []
        let box = mailboxes[mailbox]!
        for c in box.contacts.values where c.folderId == folder && c.changeSeq <= token.to && c.changeSeq > (token.from ?? Int.min) {
            entries.append((c.changeSeq, c.id, c))
        }
        if let from = token.from {
            var lo = 0, hi = log.tombstones.count
            while lo < hi { let mid = (lo + hi) / 2; if log.tombstones[mid].seq <= from { lo = mid + 1 } else { hi = mid } }
            for t in log.tombstones[lo...] {
                if t.seq > token.to { break }
                guard t.folderId == folder, t.entered <= from else { continue }
                if let back = box.contacts[t.id], back.folderId == folder, back.changeSeq <= token.to { continue }
                entries.append((t.seq, t.id, nil))
            }
        }
        entries.sort { ($0.seq, $0.id) < ($1.seq, $1.id) }
        if let afterSeq = token.afterSeq {
            let afterId = token.afterId ?? ""
            entries.removeAll { ($0.seq, $0.id) <= (afterSeq, afterId) }
        }
        let page = entries.prefix(pageSize)
        let value: [JSONValue] = page.map { entry in
            guard let contact = entry.contact else {
                return ["@odata.type": "#microsoft.graph.contact", "id": .string(entry.id), "@removed": ["reason": "deleted"]]
            }
            var o = renderContact(contact, select: token.select, expand: nil).objectValue!
            o["@odata.type"] = "#microsoft.graph.contact"
            return .object(o)
        }
        var body: [String: JSONValue] = ["@odata.context": .string("\(request.baseURL)/v1.0/$metadata#Collection(contact)"), "value": .array(value)]
        if entries.count > pageSize, let last = page.last {
            var next = token
            next.afterSeq = last.seq
            next.afterId = last.id
            body["@odata.nextLink"] = .string(contactDeltaURL(request, next, folderRoute: folderRoute, parameter: "$skiptoken"))
        } else {
            var done = token
            done.from = nil
            done.afterSeq = nil
            done.afterId = nil
            done.issued = now()
            body["@odata.deltaLink"] = .string(contactDeltaURL(request, done, folderRoute: folderRoute, parameter: "$deltatoken"))
        }
        return .json(200, .object(body))
    }

    /// Graph writes its Outlook delta links with OData key segments:
    /// `…/v1.0/users('{id}')/contactFolders('{id}')/contacts/delta?$deltatoken=…`.
    func contactDeltaURL(_ request: SimRequest, _ token: ContactDeltaToken, folderRoute: Bool, parameter: String) -> String {
        let user = "\(request.baseURL)/v1.0/users('\(token.mailbox)')"
        let path = folderRoute ? "\(user)/contactFolders('\(token.folder)')/contacts/delta" : "\(user)/contacts/delta"
        return "\(path)?\(parameter)=\(token.encoded())"
    }

    /// A stale token (its mailbox's tokens were expired, or older than
    /// `contactDeltaTokenLifetimeSeconds`), answered per `expiredContactDeltaMode`.
    func expiredContactDelta(_ token: ContactDeltaToken, current: Int, request: SimRequest) -> SimResponse {
        let notFound = "The sync state generation is not found; generation=\(token.generation);[highest=\(current)]."
        switch settings.expiredContactDeltaMode {
        case "badRequest": return .graphError(400, "SyncStateNotFound", notFound, request: request)
        case "syncStateInvalid": return .graphError(410, "SyncStateInvalid", "The sync state is invalid; a full synchronization is required.", request: request)
        default: return .graphError(410, "SyncStateNotFound", notFound, request: request)
        }
    }
}
