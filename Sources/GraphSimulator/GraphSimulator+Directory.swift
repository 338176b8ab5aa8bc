import Foundation

/// Directory reads: `/users`, `/users/{id|upn}`, `/users/delta`, `/groups` and group members.
extension GraphSimulator {
    static let userReadRoles: Set<String> = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "User.ReadBasic.All"]
    static let groupReadRoles: Set<String> = ["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"]

    func directoryOperation(_ request: SimRequest, caller: Caller, path: [String]) -> SimResponse {
        counters.directoryReads += 1
        let lower = path.map { $0.lowercased() }
        guard request.method == "GET" else {
            if lower.first == "me" { return meError(request) }
            return .graphError(405, "Request_BadRequest", "The simulator models directory reads only.", request: request)
        }
        guard let first = lower.first else { return .graphError(400, "BadRequest", "Invalid request.", request: request) }
        switch first {
        case "users":
            guard !caller.roles.isDisjoint(with: Self.userReadRoles) else { return denied(request) }
            if lower.count == 1 { return listUsers(request) }
            if lower.count == 2, lower[1] == "delta" || lower[1] == "delta()" { return usersDelta(request) }
            if lower.count == 2 { return getUser(request, path[1]) }
            return .graphError(400, "BadRequest", "Resource not found for the segment '\(path[2])'.", request: request)
        case "groups":
            guard !caller.roles.isDisjoint(with: Self.groupReadRoles) else { return denied(request) }
            if lower.count == 1 { return listGroups(request) }
            guard let group = groups[lower[1]] else {
                return .graphError(404, "Request_ResourceNotFound", "Resource '\(path[1])' does not exist or one of its queried reference-property objects are not present.", request: request)
            }
            if lower.count == 2 { return .json(200, renderGroup(group)) }
            if lower.count == 3, lower[2] == "members" || lower[2] == "transitivemembers" {
                return groupMembers(request, group: group, transitive: lower[2] == "transitivemembers")
            }
            return .graphError(400, "BadRequest", "Resource not found for the segment '\(path[2])'.", request: request)
        case "contacts":
            return orgContactOperation(request, caller: caller, path: path)
        case "me":
            return meError(request)
        default:
            return .graphError(400, "BadRequest", "Resource not found for the segment '\(path[0])'.", request: request)
        }
    }

    func meError(_ request: SimRequest) -> SimResponse {
        .graphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.", request: request)
    }

    func denied(_ request: SimRequest) -> SimResponse {
        .graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", request: request)
    }

    // MARK: Users

    func parseSelect(_ request: SimRequest, singleUser: Bool = false) -> Result<[String]?, SimResponse> {
        guard let raw = request.option("select"), !raw.isEmpty else { return .success(nil) }
        var names: [String] = []
        for part in raw.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            // Any property of Graph's user type can be selected; the simulator stores some of them
            // and answers null for the rest. Those Graph returns only for a single user are refused.
            guard let known = SimUser.propertyNames.first(where: { $0.lowercased() == name.lowercased() })
                    ?? UserPropertyCatalog.kinds.keys.first(where: { $0.lowercased() == name.lowercased() }) else {
                return .failure(.graphError(400, "Request_BadRequest", "Could not find a property named '\(name)' on type 'microsoft.graph.user'.", request: request))
            }
            if UserPropertyCatalog.singleUserOnly.contains(known), !singleUser {
                return .failure(.graphError(400, "Request_BadRequest", "The property '\(known)' does not support this operation: it is only supported when retrieving a single user.", request: request))
            }
            names.append(known)
        }
        return .success(names)
    }

    /// `directory`: the filter is on directory objects (users, groups), where Graph answers
    /// `endswith`, `ne` and `not` only as an advanced query (`ConsistencyLevel: eventual` and
    /// `$count=true`) and has no `contains` (aad-advanced-queries); Outlook items accept all.
    func parseFilter(_ text: String?, allowed: Set<String>, request: SimRequest, directory: Bool = false) -> Result<ODataFilter?, SimResponse> {
        guard let text, !text.isEmpty else { return .success(nil) }
        do {
            let filter = try ODataFilter.parse(text)
            let lowerAllowed = Set(allowed.map { $0.lowercased() })
            for p in filter.properties where !lowerAllowed.contains(p.lowercased()) {
                return .failure(.graphError(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property '\(p)' of resource.", request: request))
            }
            if directory {
                if filter.textFunctions.contains(.contains) {
                    return .failure(.graphError(400, "Request_UnsupportedQuery", "Unsupported Query.", request: request))
                }
                // showInAddressList answers only from the advanced-query index (Q&A 728705:
                // "Unsupported or invalid query filter clause" without it).
                if filter.properties.contains(where: { $0.lowercased() == "showinaddresslist" }) && !isAdvancedQuery(request) {
                    return .failure(.graphError(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'showInAddressList' of resource 'User'.", request: request))
                }
                if (filter.textFunctions.contains(.endsWith) || filter.negates) && !isAdvancedQuery(request) {
                    return .failure(.graphError(400, "Request_UnsupportedQuery", "Operator 'not' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information", request: request))
                }
            }
            return .success(filter)
        } catch {
            return .failure(.graphError(400, "BadRequest", "\(error)", request: request))
        }
    }

    /// A directory query Graph answers from its eventually consistent index.
    func isAdvancedQuery(_ request: SimRequest) -> Bool {
        let level = request.headers.first { $0.key.lowercased() == "consistencylevel" }?.value
        return level?.lowercased() == "eventual" && request.option("count")?.lowercased() == "true"
    }

    /// `inDelta`: for `/users/delta`, which leaves out `SimUser.notInDelta` even when selected.
    func renderUser(_ user: SimUser, select: [String]?, onlyKnown: Bool = false, changed: Set<String>? = nil, inDelta: Bool = false) -> JSONValue {
        var out: [String: JSONValue] = ["id": .string(user.id)]
        for name in select ?? SimUser.defaultSelect where !(inDelta && SimUser.notInDelta.contains(name)) {
            let value = user.properties[name] ?? .null
            // In later delta rounds, a never-set property is left out; a property emptied since is sent as null.
            if let changed, value.isNull || value == .array([]), !changed.contains(name) { continue }
            out[name] = value
        }
        return .object(out)
    }

    func pageParams(_ request: SimRequest, defaultSize: Int, max: Int) -> Result<(size: Int, offset: Int), SimResponse> {
        var size = defaultSize
        if let prefer = request.headers["prefer"], let r = prefer.range(of: "odata.maxpagesize=") {
            size = Int(prefer[r.upperBound...].prefix { $0.isNumber }) ?? size
        }
        if let top = request.option("top") {
            guard let n = Int(top), n >= 1, n <= max else {
                return .failure(.graphError(400, "Request_BadRequest", "Invalid page size specified: '\(top)'. Must be between 1 and \(max) inclusive.", request: request))
            }
            size = n
        }
        let offset = request.option("skiptoken").flatMap { Int(String(decoding: Data(base64Encoded: $0) ?? Data(), as: UTF8.self)) }
            ?? request.option("skip").flatMap(Int.init) ?? 0
        return .success((Swift.min(size, max), offset))
    }

    func link(_ request: SimRequest, replacing: [String: String]) -> String {
        var q = request.query.filter { !["$skiptoken", "skiptoken", "$skip", "skip"].contains($0.key) }
        for (k, v) in replacing { q[k] = v }
        let path = request.segments.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? $0 }.joined(separator: "/")
        let query = q.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .odataQueryValue) ?? $0.value)" }.joined(separator: "&")
        return "\(request.baseURL)/\(path)?\(query)"
    }

    func listUsers(_ request: SimRequest) -> SimResponse {
        let select: [String]?
        switch parseSelect(request) { case .failure(let r): return r; case .success(let s): select = s }
        let filter: ODataFilter?
        switch parseFilter(request.option("filter"), allowed: Set(SimUser.propertyNames), request: request, directory: true) { case .failure(let r): return r; case .success(let f): filter = f }
        let page: (size: Int, offset: Int)
        switch pageParams(request, defaultSize: 100, max: 999) { case .failure(let r): return r; case .success(let p): page = p }
        var matching: [SimUser] = []
        for id in userOrder {
            guard let u = users[id], !u.deleted else { continue }
            if let filter, !filter.matches(.object(u.properties)) { continue }
            matching.append(u)
        }
        let slice = matching.dropFirst(page.offset).prefix(page.size)
        var body: [String: JSONValue] = [
            "@odata.context": .string("\(request.baseURL)/v1.0/$metadata#users"),
            "value": .array(slice.map { renderUser($0, select: select) }),
        ]
        if isAdvancedQuery(request) { body["@odata.count"] = .number(Double(matching.count)) }
        if page.offset + page.size < matching.count {
            body["@odata.nextLink"] = .string(link(request, replacing: ["$skiptoken": Data(String(page.offset + page.size).utf8).base64EncodedString()]))
        }
        return .json(200, .object(body))
    }

    func getUser(_ request: SimRequest, _ idOrUPN: String) -> SimResponse {
        guard let user = lookupUser(idOrUPN), !user.deleted else {
            return .graphError(404, "Request_ResourceNotFound", "Resource '\(idOrUPN)' does not exist or one of its queried reference-property objects are not present.", request: request)
        }
        switch parseSelect(request, singleUser: true) {
        case .failure(let r): return r
        case .success(let select):
            var body = renderUser(user, select: select).objectValue ?? [:]
            body["@odata.context"] = .string("\(request.baseURL)/v1.0/$metadata#users/$entity")
            return .json(200, .object(body))
        }
    }

    // MARK: Delta

    func usersDelta(_ request: SimRequest) -> SimResponse {
        var token: DeltaToken
        if let skip = request.option("skiptoken") {
            guard let t = DeltaToken.decode(skip) else { return .graphError(400, "BadRequest", "The skip token is not valid.", request: request) }
            if let expired = expiredDelta(t, request: request) { return expired }
            token = t
        } else if let delta = request.option("deltatoken"), !delta.isEmpty {
            if delta.lowercased() == "latest" {
                let select: [String]?
                switch parseSelect(request) { case .failure(let r): return r; case .success(let s): select = s }
                let t = DeltaToken(generation: deltaGeneration, from: nil, to: changeLog.count, offset: 0, select: select, filter: request.option("filter"), issued: now())
                return .json(200, ["@odata.context": .string(deltaContext(request, select)),
                                   "value": [], "@odata.deltaLink": .string(deltaURL(request, t))])
            }
            guard let t = DeltaToken.decode(delta) else { return .graphError(400, "BadRequest", "The delta token is not valid.", request: request) }
            if let expired = expiredDelta(t, request: request) { return expired }
            token = DeltaToken(generation: t.generation, from: t.to, to: changeLog.count, offset: 0, select: t.select, filter: t.filter, issued: now())
        } else {
            if request.option("top") != nil || request.option("orderby") != nil || request.option("expand") != nil {
                return .graphError(400, "Request_UnsupportedQuery", "$top, $orderby and $expand are not supported with delta queries.", request: request)
            }
            let select: [String]?
            switch parseSelect(request) { case .failure(let r): return r; case .success(let s): select = s }
            token = DeltaToken(generation: deltaGeneration, from: nil, to: changeLog.count, offset: 0, select: select, filter: request.option("filter"), issued: now())
        }
        let filter: ODataFilter?
        switch parseFilter(token.filter, allowed: ["id"], request: request) { case .failure(let r): return r; case .success(let f): filter = f }
        if let filter {
            guard let ids = filter.idEqualityList, ids.count <= 50 else {
                return .graphError(400, "Request_UnsupportedQuery", "The only supported $filter for users/delta is id eq '{id}', joined by 'or', for at most 50 ids.", request: request)
            }
        }

        var pageSize = settings.deltaPageSize
        if let prefer = request.headers["prefer"], let r = prefer.range(of: "odata.maxpagesize=") {
            pageSize = Swift.max(1, Swift.min(999, Int(prefer[r.upperBound...].prefix { $0.isNumber }) ?? pageSize))
        }
        let minimal = request.headers["prefer"]?.lowercased().contains("return=minimal") == true
        var entries: [JSONValue] = []
        var total: Int
        if let from = token.from {
            // Later round: users with relevant changes in (from, to], in order of first change.
            var order: [String] = []
            var changed: [String: Set<String>] = [:]
            let selected = Set(token.select ?? SimUser.defaultSelect)
            for change in changeLog[from..<token.to] {
                let relevant = change.removal != nil || change.appeared || !change.keys.isDisjoint(with: selected)
                guard relevant else { continue }
                if changed[change.userId] == nil { order.append(change.userId) }
                changed[change.userId, default: []].formUnion(change.keys)
            }
            if let filter { order = order.filter { filter.matches(["id": .string($0)]) } }
            total = order.count
            for id in order.dropFirst(token.offset).prefix(pageSize) {
                guard let user = users[id] else { continue }
                if user.deleted {
                    let reason = changeLog[from..<token.to].last { $0.userId == id && $0.removal != nil }?.removal ?? "changed"
                    entries.append(["@odata.type": "#microsoft.graph.user", "id": .string(id), "@removed": ["reason": .string(reason)]])
                } else {
                    let changedKeys = changed[id] ?? []
                    if minimal {
                        // Prefer: return=minimal — only what changed, nulls included.
                        var o: [String: JSONValue] = ["id": .string(id)]
                        for key in changedKeys where (token.select ?? SimUser.defaultSelect).contains(key) && !SimUser.notInDelta.contains(key) { o[key] = user.properties[key] ?? .null }
                        entries.append(.object(o))
                    } else {
                        entries.append(renderUser(user, select: token.select ?? SimUser.defaultSelect, changed: changedKeys, inDelta: true))
                    }
                }
            }
        } else {
            // First round: everyone who existed at `to`, in creation order.
            var lo = 0, hi = createdSeq.count
            while lo < hi { let mid = (lo + hi) / 2; if createdSeq[mid] <= token.to { lo = mid + 1 } else { hi = mid } }
            var candidates = Array(userOrder.prefix(lo))
            if let filter { candidates = candidates.filter { filter.matches(["id": .string($0)]) } }
            total = candidates.count
            for id in candidates.dropFirst(token.offset).prefix(pageSize) {
                guard let user = users[id], !user.deleted else { continue }
                entries.append(renderUser(user, select: token.select ?? SimUser.defaultSelect, inDelta: true))
            }
        }
        var body: [String: JSONValue] = ["@odata.context": .string(deltaContext(request, token.select)), "value": .array(entries)]
        if token.offset + pageSize < total {
            var next = token
            next.offset += pageSize
            body["@odata.nextLink"] = .string("\(request.baseURL)/v1.0/users/delta?$skiptoken=\(next.encoded())")
        } else {
            var done = token
            done.from = nil
            done.offset = 0
            done.issued = now()
            body["@odata.deltaLink"] = .string(deltaURL(request, done))
        }
        return .json(200, .object(body))
    }

    func deltaContext(_ request: SimRequest, _ select: [String]?) -> String {
        "\(request.baseURL)/v1.0/$metadata#users" + (select.map { "(\($0.joined(separator: ",")))" } ?? "")
    }

    func deltaURL(_ request: SimRequest, _ token: DeltaToken) -> String {
        "\(request.baseURL)/v1.0/users/delta?$deltatoken=\(token.encoded())"
    }

    /// An expired token (older generation or past its lifetime) answers as Graph does: 400
    /// `syncStateNotFound`, or 410 Gone with a `Location` to start again.
    func expiredDelta(_ token: DeltaToken, request: SimRequest) -> SimResponse? {
        let stale = token.generation != deltaGeneration || now().timeIntervalSince(token.issued) > settings.deltaTokenLifetimeSeconds
        guard stale else { return nil }
        if settings.expiredDeltaMode == "gone" {
            var query = ["$deltatoken="]
            if let select = token.select { query.append("$select=\(select.joined(separator: ","))") }
            if let filter = token.filter { query.append("$filter=\(filter.addingPercentEncoding(withAllowedCharacters: .odataQueryValue) ?? filter)") }
            let restart = "\(request.baseURL)/v1.0/users/delta?" + query.joined(separator: "&")
            return .graphError(410, "resyncRequired", "The delta token has expired; a full synchronization is required.", request: request, headers: ["Location": restart])
        }
        return .graphError(400, "syncStateNotFound", "The sync state generation is not found. The delta token is expired and a full synchronization is required.", request: request)
    }

    // MARK: Groups

    func renderGroup(_ group: SimGroup) -> JSONValue {
        ["@odata.type": "#microsoft.graph.group", "id": .string(group.id), "displayName": .string(group.displayName),
         "securityEnabled": true, "mailEnabled": false]
    }

    func listGroups(_ request: SimRequest) -> SimResponse {
        let filter: ODataFilter?
        switch parseFilter(request.option("filter"), allowed: ["id", "displayName"], request: request, directory: true) { case .failure(let r): return r; case .success(let f): filter = f }
        let all = groupOrder.compactMap { groups[$0] }.map(renderGroup).filter { filter?.matches($0) ?? true }
        return .json(200, ["@odata.context": .string("\(request.baseURL)/v1.0/$metadata#groups"), "value": .array(all)])
    }

    func groupMembers(_ request: SimRequest, group: SimGroup, transitive: Bool) -> SimResponse {
        let select: [String]?
        switch parseSelect(request) { case .failure(let r): return r; case .success(let s): select = s }
        let page: (size: Int, offset: Int)
        switch pageParams(request, defaultSize: 100, max: 999) { case .failure(let r): return r; case .success(let p): page = p }
        var ids: [String] = []
        var seen: Set<String> = [group.id]
        var stack = [group]
        while let g = stack.popLast() {
            for m in g.members where !seen.contains(m) {
                seen.insert(m)
                if let nested = groups[m] {
                    ids.append(m)
                    if transitive { stack.append(nested) }
                } else if let u = users[m], !u.deleted {
                    ids.append(m)
                } else if let c = orgContacts[m], !c.deleted {
                    ids.append(m)  // mail contacts are group members too (distribution lists)
                }
            }
            if !transitive { break }
        }
        let slice = ids.dropFirst(page.offset).prefix(page.size)
        let value: [JSONValue] = slice.map { id in
            if let g = groups[id] { return renderGroup(g) }
            if let c = orgContacts[id] {
                var o = renderOrgContact(c, select: select?.filter { SimOrgContact.propertyNames.contains($0) }).objectValue ?? [:]
                o["@odata.type"] = "#microsoft.graph.orgContact"
                return .object(o)
            }
            var o = renderUser(users[id]!, select: select).objectValue ?? [:]
            o["@odata.type"] = "#microsoft.graph.user"
            return .object(o)
        }
        var body: [String: JSONValue] = ["@odata.context": .string("\(request.baseURL)/v1.0/$metadata#directoryObjects"), "value": .array(value)]
        if page.offset + page.size < ids.count {
            body["@odata.nextLink"] = .string(link(request, replacing: ["$skiptoken": Data(String(page.offset + page.size).utf8).base64EncodedString()]))
        }
        return .json(200, .object(body))
    }
}

extension CharacterSet {
    /// Characters left as they are in a query value.
    static let odataQueryValue: CharacterSet = {
        var s = CharacterSet.urlQueryAllowed
        s.remove(charactersIn: "&=+#")
        return s
    }()
}
