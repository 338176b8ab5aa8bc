import Foundation

/// Exchange Online mailbox operations: contact folders, contacts, extended properties, photos.
extension GraphSimulator {
    static let contactReadRoles: Set<String> = ["Contacts.Read", "Contacts.ReadWrite"]

    func mailboxOperation(_ request: SimRequest, caller: Caller, route: Route) async -> SimResponse {
        let path = route.rest
        guard let user = lookupUser(path[1]) else {
            return .graphError(404, "ErrorInvalidUser", "The requested user '\(path[1])' is invalid.", request: request)
        }
        if path.count >= 3, path[2].lowercased() == "mailboxsettings" { return mailboxSettings(request, caller: caller, user: user, rest: Array(path.dropFirst(3))) }
        if path.count >= 3, ["photo", "photos"].contains(path[2].lowercased()) { return userPhoto(request, caller: caller, user: user, rest: Array(path.dropFirst(2))) }
        let write = request.method != "GET"
        let needed: Set<String> = write ? ["Contacts.ReadWrite"] : Self.contactReadRoles
        guard !caller.roles.isDisjoint(with: needed) else {
            return .graphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.", request: request)
        }
        if let scope = apps[caller.clientId]?.mailboxScope, !scope.contains(user.id) {
            return .graphError(403, "ErrorAccessDenied", "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.", request: request)
        }
        guard user.hasMailbox, !user.deleted else {
            return .graphError(404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.", request: request)
        }
        if mailboxes[user.id] == nil {
            mailboxes[user.id] = Mailbox(ownerId: user.id, defaultFolderId: nextId(prefix: "AQMkAD"), folders: [:], contacts: [:])
        }
        if write { counters.contactWrites += 1 } else { counters.mailboxReads += 1 }
        let lower = path.map { $0.lowercased() }
        let mailbox = user.id
        switch Array(lower.dropFirst(2)).count {
        case 1 where lower[2] == "contactfolders":
            return request.method == "POST" ? createFolder(request, mailbox) : request.method == "GET" ? listFolders(request, mailbox) : methodNotAllowed(request)
        case 1 where lower[2] == "contacts":
            let folder = mailboxes[mailbox]!.defaultFolderId
            return request.method == "POST" ? createContact(request, mailbox, folder: folder) : request.method == "GET" ? listContacts(request, mailbox, folder: folder) : methodNotAllowed(request)
        case 2 where lower[2] == "contactfolders":
            guard let folder = resolveFolder(mailbox, path[3]) else { return itemNotFound(request) }
            switch request.method {
            case "GET": return .json(200, renderFolder(mailboxes[mailbox]!.folders[folder] ?? defaultFolder(mailbox)))
            case "DELETE": return deleteFolder(request, mailbox, folder)
            case "PATCH": return renameFolder(request, mailbox, folder)
            default: return methodNotAllowed(request)
            }
        case 2 where lower[2] == "contacts" && Self.isDeltaSegment(lower[3]):
            return contactsDelta(request, mailbox, folder: mailboxes[mailbox]!.defaultFolderId, folderRoute: false)
        case 2 where lower[2] == "contacts":
            return contactItem(request, mailbox, contactId: path[3], folder: nil)
        case 3 where lower[2] == "contactfolders" && lower[4] == "contacts":
            guard let folder = resolveFolder(mailbox, path[3]) else { return itemNotFound(request) }
            return request.method == "POST" ? createContact(request, mailbox, folder: folder) : request.method == "GET" ? listContacts(request, mailbox, folder: folder) : methodNotAllowed(request)
        case 4 where lower[2] == "contactfolders" && lower[4] == "contacts" && Self.isDeltaSegment(lower[5]):
            guard let folder = resolveFolder(mailbox, path[3]) else { return itemNotFound(request) }
            return contactsDelta(request, mailbox, folder: folder, folderRoute: true)
        case 4 where lower[2] == "contactfolders" && lower[4] == "contacts":
            guard let folder = resolveFolder(mailbox, path[3]) else { return itemNotFound(request) }
            return contactItem(request, mailbox, contactId: path[5], folder: folder)
        case 4 where lower[2] == "contacts" && lower[4] == "photo" && lower[5] == "$value":
            return photo(request, mailbox, contactId: path[3])
        case 6 where lower[2] == "contactfolders" && lower[6] == "photo" && lower[7] == "$value":
            return photo(request, mailbox, contactId: path[5])
        case 3 where lower[2] == "contacts" && lower[4] == "photo":
            return contactPhotoMetadata(request, mailbox, contactId: path[3])
        case 5 where lower[2] == "contactfolders" && lower[6] == "photo":
            return contactPhotoMetadata(request, mailbox, contactId: path[5])
        default:
            return .graphError(400, "BadRequest", "Resource not found for the segment '\(path.last ?? "")'.", request: request)
        }
    }

    func methodNotAllowed(_ request: SimRequest) -> SimResponse {
        .graphError(405, "ErrorInvalidRequest", "The OData request is not supported.", request: request)
    }

    func itemNotFound(_ request: SimRequest) -> SimResponse {
        .graphError(404, "ErrorItemNotFound", "The specified object was not found in the store.", request: request)
    }

    // MARK: Folders

    func defaultFolder(_ mailbox: String) -> ContactFolder {
        ContactFolder(id: mailboxes[mailbox]!.defaultFolderId, displayName: "Contacts", parentFolderId: "AQMkADroot=")
    }

    func resolveFolder(_ mailbox: String, _ idOrName: String) -> String? {
        let box = mailboxes[mailbox]!
        if idOrName.lowercased() == "contacts" || idOrName == box.defaultFolderId { return box.defaultFolderId }
        return box.folders[idOrName] != nil ? idOrName : nil
    }

    func renderFolder(_ f: ContactFolder) -> JSONValue {
        ["id": .string(f.id), "displayName": .string(f.displayName), "parentFolderId": .string(f.parentFolderId)]
    }

    func listFolders(_ request: SimRequest, _ mailbox: String) -> SimResponse {
        let filter: ODataFilter?
        switch parseFilter(request.option("filter"), allowed: ["displayName", "id", "parentFolderId"], request: request) { case .failure(let r): return r; case .success(let f): filter = f }
        let page: (size: Int, offset: Int)
        switch pageParams(request, defaultSize: 10, max: 1000) { case .failure(let r): return r; case .success(let p): page = p }
        let box = mailboxes[mailbox]!
        let all = box.folders.values.filter { $0.parentFolderId == box.defaultFolderId }
            .sorted { ($0.displayName.lowercased(), $0.id) < ($1.displayName.lowercased(), $1.id) }
            .map(renderFolder).filter { filter?.matches($0) ?? true }
        return pageResponse(request, all, page: page, context: "users('\(mailbox)')/contactFolders")
    }

    func pageResponse(_ request: SimRequest, _ all: [JSONValue], page: (size: Int, offset: Int), context: String) -> SimResponse {
        var body: [String: JSONValue] = [
            "@odata.context": .string("\(request.baseURL)/v1.0/$metadata#\(context)"),
            "value": .array(Array(all.dropFirst(page.offset).prefix(page.size))),
        ]
        if page.offset + page.size < all.count {
            body["@odata.nextLink"] = .string(link(request, replacing: ["$skip": String(page.offset + page.size), "$top": String(page.size)]))
        }
        return .json(200, .object(body))
    }

    func createFolder(_ request: SimRequest, _ mailbox: String) -> SimResponse {
        guard let body = request.jsonBody else { return .graphError(400, "RequestBodyRead", "The request body is not valid JSON.", request: request) }
        do { try ContactSchema.validate(body, entity: "contactFolder") } catch { return .graphError(400, error.code, error.message, request: request) }
        guard let name = body["displayName"]?.stringValue, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .graphError(400, "ErrorInvalidRequest", "The folder needs a displayName.", request: request)
        }
        let box = mailboxes[mailbox]!
        let parent = body["parentFolderId"]?.stringValue ?? box.defaultFolderId
        guard parent == box.defaultFolderId || box.folders[parent] != nil else { return itemNotFound(request) }
        if box.folders.values.contains(where: { $0.parentFolderId == parent && $0.displayName.lowercased() == name.lowercased() }) {
            return .graphError(409, "ErrorFolderExists", "A folder with the specified name already exists.", request: request)
        }
        let folder = ContactFolder(id: nextId(prefix: "AAMkAF"), displayName: name, parentFolderId: parent)
        mailboxes[mailbox]!.folders[folder.id] = folder
        var json = renderFolder(folder).objectValue!
        json["@odata.context"] = .string("\(request.baseURL)/v1.0/$metadata#users('\(mailbox)')/contactFolders/$entity")
        return .json(201, .object(json))
    }

    func renameFolder(_ request: SimRequest, _ mailbox: String, _ folder: String) -> SimResponse {
        guard folder != mailboxes[mailbox]!.defaultFolderId else {
            return .graphError(400, "ErrorCannotRenameOrMoveDistinguishedFolder", "Distinguished folders cannot be renamed or moved.", request: request)
        }
        guard let body = request.jsonBody else { return .graphError(400, "RequestBodyRead", "The request body is not valid JSON.", request: request) }
        do { try ContactSchema.validate(body, entity: "contactFolder") } catch { return .graphError(400, error.code, error.message, request: request) }
        if let name = body["displayName"]?.stringValue { mailboxes[mailbox]!.folders[folder]!.displayName = name }
        return .json(200, renderFolder(mailboxes[mailbox]!.folders[folder]!))
    }

    func deleteFolder(_ request: SimRequest, _ mailbox: String, _ folder: String) -> SimResponse {
        guard folder != mailboxes[mailbox]!.defaultFolderId else {
            return .graphError(400, "ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted.", request: request)
        }
        removeFolder(mailbox, folder)
        return .noContent()
    }

    /// Deletes a folder, its subfolders and every contact in them.
    func removeFolder(_ mailbox: String, _ folder: String) {
        let children = mailboxes[mailbox]!.folders.values.filter { $0.parentFolderId == folder }.map(\.id)
        for child in children { removeFolder(mailbox, child) }
        mailboxes[mailbox]!.folders[folder] = nil
        for gone in mailboxes[mailbox]!.contacts.values.filter({ $0.folderId == folder }).sorted(by: { $0.id < $1.id }) {
            recordContactRemoval(mailbox, gone)
        }
        mailboxes[mailbox]!.contacts = mailboxes[mailbox]!.contacts.filter { $0.value.folderId != folder }
    }

    // MARK: Contacts

    static let contactDefaults: [String: JSONValue] = {
        var d: [String: JSONValue] = [:]
        for (name, type) in ContactSchema.entityTypes["contact"] ?? [:] {
            d[name] = type.hasPrefix("Collection(") ? .array([]) : type == "graph.physicalAddress" ? .object([:]) : .null
        }
        return d
    }()

    func renderContact(_ c: StoredContact, select: [String]?, expand: ExtendedPropertyExpansion?) -> JSONValue {
        var out = Self.contactDefaults
        for (k, v) in c.properties { out[k] = v }
        out["id"] = .string(c.id)
        out["parentFolderId"] = .string(c.folderId)
        out["changeKey"] = .string(c.changeKey)
        out["createdDateTime"] = .string(Self.iso(c.createdDateTime))
        out["lastModifiedDateTime"] = .string(Self.iso(c.lastModifiedDateTime))
        if let select {
            let keep = Set(select.map { $0.lowercased() } + ["id"])
            out = out.filter { keep.contains($0.key.lowercased()) }
        }
        out["@odata.etag"] = .string("W/\"\(c.changeKey)\"")
        if let expand {
            let props = c.extendedProperties.sorted { $0.key < $1.key }
                .map { JSONValue.object(["id": .string($0.key), "value": .string($0.value)]) }
                .filter { expand.filter?.matches(.object([:]), variables: ["$it": $0]) ?? true }
            out["singleValueExtendedProperties"] = .array(props)
        }
        return .object(out)
    }

    /// `$expand=singleValueExtendedProperties($filter=id eq '…')`.
    struct ExtendedPropertyExpansion { var filter: ODataFilter? }

    func parseExpand(_ request: SimRequest) -> Result<ExtendedPropertyExpansion?, SimResponse> {
        guard let raw = request.option("expand"), !raw.isEmpty else { return .success(nil) }
        let name = "singlevalueextendedproperties"
        guard raw.lowercased().hasPrefix(name) else {
            return .failure(.graphError(400, "BadRequest", "Parsing OData Select and Expand failed: could not find a property named '\(raw)' on type 'Microsoft.OutlookServices.Contact'.", request: request))
        }
        var rest = raw.dropFirst(name.count)
        // Graph documents `$filter=id eq …` inside the expansion as the only way to read them.
        guard rest.hasPrefix("("), rest.hasSuffix(")") else {
            return .failure(.graphError(400, "BadRequest", "Expand singleValueExtendedProperties with ($filter=id eq '{id}').", request: request))
        }
        rest = rest.dropFirst().dropLast()
        guard rest.lowercased().hasPrefix("$filter=") else { return .failure(.graphError(400, "BadRequest", "Only $filter is supported inside $expand.", request: request)) }
        do {
            // Inside the expansion, bare property names refer to the extended property itself.
            let filter = try ODataFilter.parse(String(rest.dropFirst("$filter=".count)))
            return .success(ExtendedPropertyExpansion(filter: filter.rebased(on: "$it")))
        } catch {
            return .failure(.graphError(400, "BadRequest", "\(error)", request: request))
        }
    }

    func parseContactSelect(_ request: SimRequest) -> Result<[String]?, SimResponse> {
        guard let raw = request.option("select"), !raw.isEmpty else { return .success(nil) }
        let known = ContactSchema.entityTypes["contact"] ?? [:]
        var out: [String] = []
        for part in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let name = known.keys.first(where: { $0.lowercased() == part.lowercased() }) else {
                return .failure(.graphError(400, "RequestBroker--ParseUri", "Could not find a property named '\(part)' on type 'Microsoft.OutlookServices.Contact'.", request: request))
            }
            out.append(name)
        }
        return .success(out)
    }

    func listContacts(_ request: SimRequest, _ mailbox: String, folder: String) -> SimResponse {
        let select: [String]?
        switch parseContactSelect(request) { case .failure(let r): return r; case .success(let s): select = s }
        let expand: ExtendedPropertyExpansion?
        switch parseExpand(request) { case .failure(let r): return r; case .success(let e): expand = e }
        let allowed = Set((ContactSchema.entityTypes["contact"] ?? [:]).keys).union(["singleValueExtendedProperties"])
        let filter: ODataFilter?
        switch parseFilter(request.option("filter"), allowed: allowed, request: request) { case .failure(let r): return r; case .success(let f): filter = f }
        let page: (size: Int, offset: Int)
        switch pageParams(request, defaultSize: 10, max: 1000) { case .failure(let r): return r; case .success(let p): page = p }
        let contacts = mailboxes[mailbox]!.contacts.values.filter { $0.folderId == folder }
            .sorted { ($0.createdDateTime, $0.id) < ($1.createdDateTime, $1.id) }
        var matching: [JSONValue] = []
        for c in contacts {
            if let filter {
                let full = renderContact(c, select: nil, expand: ExtendedPropertyExpansion(filter: nil))
                guard filter.matches(full) else { continue }
            }
            matching.append(renderContact(c, select: select, expand: expand))
        }
        return pageResponse(request, matching, page: page, context: "users('\(mailbox)')/contacts")
    }

    func createContact(_ request: SimRequest, _ mailbox: String, folder: String) -> SimResponse {
        guard let body = request.jsonBody else { return .graphError(400, "RequestBodyRead", "The request body is not valid JSON.", request: request) }
        do { try ContactSchema.validate(body, entity: "contact") } catch { return .graphError(400, error.code, error.message, request: request) }
        var props = body.objectValue!.filter { !$0.key.hasPrefix("@odata.") && $0.key != "singleValueExtendedProperties" && $0.key != "multiValueExtendedProperties" && $0.key != "parentFolderId" }
        if props["displayName"] == nil || props["displayName"] == .null {
            // Exchange derives the display name from the name parts when none is given.
            let parts = [props["givenName"]?.stringValue, props["surname"]?.stringValue].compactMap { $0 }
            props["displayName"] = parts.isEmpty ? .null : .string(parts.joined(separator: " "))
        }
        let t = now()
        var contact = StoredContact(id: nextId(prefix: "AAMkAG"), folderId: folder, properties: props, extendedProperties: [:],
                                    createdDateTime: t, lastModifiedDateTime: t, changeKey: nextChangeKey(), photo: nil)
        for ep in body["singleValueExtendedProperties"]?.arrayValue ?? [] {
            if let id = ep["id"]?.stringValue, let v = ep["value"]?.stringValue { contact.extendedProperties[ExtendedPropertyId.canonical(id)] = v }
        }
        mailboxes[mailbox]!.contacts[contact.id] = contact
        recordContactWrite(mailbox, contact.id, previousFolder: nil)
        var json = renderContact(contact, select: nil, expand: nil).objectValue!
        json["@odata.context"] = .string("\(request.baseURL)/v1.0/$metadata#users('\(mailbox)')/contacts/$entity")
        return .json(201, .object(json))
    }

    func nextChangeKey() -> String { nextId(prefix: "EQAAABYAAAA") }

    func contactItem(_ request: SimRequest, _ mailbox: String, contactId: String, folder: String?) -> SimResponse {
        guard let contact = mailboxes[mailbox]!.contacts[contactId], folder == nil || contact.folderId == folder else {
            return itemNotFound(request)
        }
        switch request.method {
        case "GET":
            let select: [String]?
            switch parseContactSelect(request) { case .failure(let r): return r; case .success(let s): select = s }
            switch parseExpand(request) {
            case .failure(let r): return r
            case .success(let expand): return .json(200, renderContact(contact, select: select, expand: expand))
            }
        case "PATCH":
            guard let body = request.jsonBody else { return .graphError(400, "RequestBodyRead", "The request body is not valid JSON.", request: request) }
            do { try ContactSchema.validate(body, entity: "contact") } catch { return .graphError(400, error.code, error.message, request: request) }
            var updated = contact
            for (k, v) in body.objectValue! where !k.hasPrefix("@odata.") {
                switch k {
                case "singleValueExtendedProperties":
                    for ep in v.arrayValue ?? [] {
                        if let id = ep["id"]?.stringValue, let value = ep["value"]?.stringValue { updated.extendedProperties[ExtendedPropertyId.canonical(id)] = value }
                    }
                case "multiValueExtendedProperties": continue
                case "parentFolderId":
                    if let f = v.stringValue, let target = resolveFolder(mailbox, f) { updated.folderId = target }
                default: updated.properties[k] = v
                }
            }
            // Exchange regenerates displayName from the name parts when an update changes them
            // without sending displayName (Graph's contact docs: always include it in updates).
            let object = body.objectValue!
            if object["displayName"] == nil, object["givenName"] != nil || object["surname"] != nil {
                let parts = [updated.properties["givenName"]?.stringValue, updated.properties["surname"]?.stringValue].compactMap { $0 }
                updated.properties["displayName"] = parts.isEmpty ? .null : .string(parts.joined(separator: " "))
            }
            updated.lastModifiedDateTime = now()
            updated.changeKey = nextChangeKey()
            mailboxes[mailbox]!.contacts[contactId] = updated
            recordContactWrite(mailbox, contactId, previousFolder: contact.folderId)
            return .json(200, renderContact(updated, select: nil, expand: nil))
        case "DELETE":
            mailboxes[mailbox]!.contacts[contactId] = nil
            recordContactRemoval(mailbox, contact)
            return .noContent()
        default:
            return methodNotAllowed(request)
        }
    }

    func photo(_ request: SimRequest, _ mailbox: String, contactId: String) -> SimResponse {
        guard mailboxes[mailbox]!.contacts[contactId] != nil else { return itemNotFound(request) }
        switch request.method {
        case "PUT", "PATCH":  // "You can use either PATCH or PUT" (profilephoto-update)
            let type = request.headers["content-type"] ?? ""
            guard type.hasPrefix("image/") else {
                return .graphError(400, "ErrorInvalidRequest", "The photo must be sent as image/jpeg or image/png.", request: request)
            }
            guard !request.body.isEmpty else { return .graphError(400, "ErrorInvalidRequest", "The photo is empty.", request: request) }
            guard request.body.count < 4 * 1024 * 1024 else {
                return .graphError(413, "ErrorRequestEntityTooLarge", "The photo must be smaller than 4 MB.", request: request)
            }
            // The same photo in many mailboxes is held once (a first sync of 2,000 users' photos
            // into 200 mailboxes would otherwise keep gigabytes).
            mailboxes[mailbox]!.contacts[contactId]!.photo = internedPhoto(request.body)
            counters.photoUploads += 1
            counters.photoBytesUploaded += request.body.count
            // A new photo is a change of the contact: new changeKey, and it shows in contacts delta.
            mailboxes[mailbox]!.contacts[contactId]!.changeKey = nextChangeKey()
            mailboxes[mailbox]!.contacts[contactId]!.lastModifiedDateTime = now()
            recordContactWrite(mailbox, contactId, previousFolder: mailboxes[mailbox]!.contacts[contactId]!.folderId)
            return SimResponse(status: 200)
        case "GET":
            guard let data = mailboxes[mailbox]!.contacts[contactId]!.photo else {
                return .graphError(404, "ErrorItemNotFound", "The photo wasn't found.", request: request)
            }
            return SimResponse(status: 200, headers: ["Content-Type": "image/jpeg"], body: data)
        default:
            return methodNotAllowed(request)
        }
    }
}

extension ODataFilter {
    /// Prefixes every top-level property path with `variable`, so a filter written against an
    /// element (`id eq '…'`) can be evaluated with that element bound to `variable`.
    func rebased(on variable: String) -> ODataFilter {
        switch self {
        case .compare(let p, let op, let v): return .compare(path: [variable] + p, op: op, value: v)
        case .text(let f, let p, let s): return .text(f, path: [variable] + p, value: s)
        case .isIn(let p, let v): return .isIn(path: [variable] + p, values: v)
        case .and(let a, let b): return .and(a.rebased(on: variable), b.rebased(on: variable))
        case .or(let a, let b): return .or(a.rebased(on: variable), b.rebased(on: variable))
        case .not(let a): return .not(a.rebased(on: variable))
        case .any(let p, let v, let body): return .any(path: [variable] + p, variable: v, body)
        }
    }
}
