import Foundation

/// `/contacts`, `/contacts/{id}` and `/contacts/delta` (orgcontact-list, -get, -delta): application
/// permission OrgContact.Read.All (or Directory.Read.All / .ReadWrite.All), else 403
/// `Authorization_RequestDenied`. The delta takes `$select` and `$deltatoken`/`$skiptoken` only
/// (no `$top`); a later round reports a changed contact with its selected properties and a
/// deleted one as `@removed` with reason `deleted`; expired tokens answer as the users' do.
extension GraphSimulator {
    static let orgContactReadRoles: Set<String> = ["OrgContact.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"]

    func orgContactOperation(_ request: SimRequest, caller: Caller, path: [String]) -> SimResponse {
        guard !caller.roles.isDisjoint(with: Self.orgContactReadRoles) else { return denied(request) }
        let lower = path.map { $0.lowercased() }
        let select: [String]?
        switch parseOrgContactSelect(request) { case .failure(let r): return r; case .success(let s): select = s }
        if lower.count == 1 {
            let page: (size: Int, offset: Int)
            switch pageParams(request, defaultSize: 100, max: 999) { case .failure(let r): return r; case .success(let p): page = p }
            let live = orgContactOrder.compactMap { orgContacts[$0] }.filter { !$0.deleted }
            var body: [String: JSONValue] = ["@odata.context": .string("\(request.baseURL)/v1.0/$metadata#contacts"),
                                             "value": .array(live.dropFirst(page.offset).prefix(page.size).map { renderOrgContact($0, select: select) })]
            if page.offset + page.size < live.count {
                body["@odata.nextLink"] = .string(link(request, replacing: ["$skiptoken": Data(String(page.offset + page.size).utf8).base64EncodedString()]))
            }
            return .json(200, .object(body))
        }
        if lower.count == 2, lower[1] == "delta" || lower[1] == "delta()" { return orgContactsDelta(request, select: select) }
        if lower.count == 2 {
            guard let c = orgContacts[lower[1]], !c.deleted else {
                return .graphError(404, "Request_ResourceNotFound", "Resource '\(path[1])' does not exist or one of its queried reference-property objects are not present.", request: request)
            }
            return .json(200, renderOrgContact(c, select: select))
        }
        return .graphError(400, "BadRequest", "Resource not found for the segment '\(path[2])'.", request: request)
    }

    func parseOrgContactSelect(_ request: SimRequest) -> Result<[String]?, SimResponse> {
        guard let raw = request.option("select"), !raw.isEmpty else { return .success(nil) }
        var names: [String] = []
        for part in raw.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let known = SimOrgContact.propertyNames.first(where: { $0.lowercased() == name.lowercased() }) else {
                return .failure(.graphError(400, "Request_BadRequest", "Could not find a property named '\(name)' on type 'microsoft.graph.orgContact'.", request: request))
            }
            names.append(known)
        }
        return .success(names)
    }

    func renderOrgContact(_ c: SimOrgContact, select: [String]?) -> JSONValue {
        var out: [String: JSONValue] = ["id": .string(c.id)]
        for name in select ?? SimOrgContact.defaultSelect { out[name] = c.properties[name] ?? .null }
        return .object(out)
    }

    func orgContactsDelta(_ request: SimRequest, select requested: [String]?) -> SimResponse {
        var token: DeltaToken
        if let skip = request.option("skiptoken") {
            guard let t = DeltaToken.decode(skip) else { return .graphError(400, "BadRequest", "The skip token is not valid.", request: request) }
            if let expired = expiredDelta(t, request: request) { return expired }
            token = t
        } else if let delta = request.option("deltatoken"), !delta.isEmpty {
            guard let t = DeltaToken.decode(delta) else { return .graphError(400, "BadRequest", "The delta token is not valid.", request: request) }
            if let expired = expiredDelta(t, request: request) { return expired }
            token = DeltaToken(generation: t.generation, from: t.to, to: orgContactLog.count, offset: 0, select: t.select, filter: nil, issued: now())
        } else {
            if request.option("top") != nil || request.option("filter") != nil || request.option("orderby") != nil {
                return .graphError(400, "Request_UnsupportedQuery", "$top, $filter (other than id eq) and $orderby are not supported with delta queries.", request: request)
            }
            token = DeltaToken(generation: deltaGeneration, from: nil, to: orgContactLog.count, offset: 0, select: requested, filter: nil, issued: now())
        }
        // The ids this round reports, in order: every live contact (a first round), or those changed since.
        var ids: [String] = []
        if let from = token.from {
            var seen: Set<String> = []
            for entry in orgContactLog[from..<token.to] where seen.insert(entry.id).inserted { ids.append(entry.id) }
        } else {
            ids = orgContactOrder.filter { orgContacts[$0]?.deleted == false }
        }
        let pageSize = 100
        var entries: [JSONValue] = []
        for id in ids.dropFirst(token.offset).prefix(pageSize) {
            guard let c = orgContacts[id] else { continue }
            if c.deleted {
                entries.append(["@odata.type": "#microsoft.graph.orgContact", "id": .string(id), "@removed": ["reason": "deleted"]])
            } else {
                entries.append(renderOrgContact(c, select: token.select))
            }
        }
        var body: [String: JSONValue] = ["@odata.context": .string("\(request.baseURL)/v1.0/$metadata#contacts"), "value": .array(entries)]
        if token.offset + pageSize < ids.count {
            var next = token
            next.offset += pageSize
            body["@odata.nextLink"] = .string("\(request.baseURL)/v1.0/contacts/delta?$skiptoken=\(next.encoded())")
        } else {
            let done = DeltaToken(generation: token.generation, from: token.to, to: token.to, offset: 0, select: token.select, filter: nil, issued: now())
            body["@odata.deltaLink"] = .string("\(request.baseURL)/v1.0/contacts/delta?$deltatoken=\(done.encoded())")
        }
        return .json(200, .object(body))
    }

    // MARK: Admin

    /// A new mail contact (as Exchange or directory sync would make one); returns its id.
    public func createOrgContact(_ properties: [String: JSONValue]) -> String {
        let id = UUID().uuidString.lowercased()
        var p = properties
        p["id"] = .string(id)
        for name in SimOrgContact.propertyNames where p[name] == nil { p[name] = .null }
        orgContacts[id] = SimOrgContact(id: id, properties: p)
        orgContactOrder.append(id)
        orgContactLog.append((id, false))
        return id
    }

    public func updateOrgContact(_ id: String, _ changes: [String: JSONValue]) throws(AdminError) {
        guard var c = orgContacts[id.lowercased()], !c.deleted else { throw AdminError(status: 404, description: "no org contact '\(id)'") }
        for (k, v) in changes {
            guard SimOrgContact.propertyNames.contains(k), k != "id" else { throw AdminError(status: 400, description: "unknown or read-only orgContact property '\(k)'") }
            c.properties[k] = v
        }
        orgContacts[c.id] = c
        orgContactLog.append((c.id, false))
    }

    public func deleteOrgContact(_ id: String) throws(AdminError) {
        guard var c = orgContacts[id.lowercased()], !c.deleted else { throw AdminError(status: 404, description: "no org contact '\(id)'") }
        c.deleted = true
        orgContacts[c.id] = c
        orgContactLog.append((c.id, true))
    }

    public func orgContactsState() -> [JSONValue] {
        orgContactOrder.compactMap { orgContacts[$0] }.map { c in
            var o = c.properties
            o["deleted"] = .bool(c.deleted)
            return .object(o)
        }
    }
}
