import Foundation
import GalsyncCrypto

/// The control API under `/_sim`, for tests, the demo and benchmarks. It is not part of
/// Microsoft's service: it needs no token and must only ever listen on loopback.
extension GraphSimulator {
    func control(_ request: SimRequest) -> SimResponse {
        let s = Array(request.segments.dropFirst())
        let body = request.jsonBody ?? .object([:])
        func ok(_ v: JSONValue = ["ok": true]) -> SimResponse { .json(200, v) }
        do {
            switch (request.method, s.count, s.first ?? "") {
            case ("GET", 1, "state"): return ok(fullState())
            case ("GET", 1, "info"):
                return ok(["tenantId": .string(tenantId), "tenantDomain": .string(tenantDomain), "apps": .array(apps.keys.sorted().map(JSONValue.string))])
            case ("GET", 1, "counters"): return ok(counterSnapshot())
            case ("POST", 2, "counters") where s[1] == "reset": resetCounters(); return ok()
            case ("GET", 1, "settings"): return ok(JSONValue.parse(try JSONEncoder().encode(settings)) ?? .null)
            case ("PUT", 1, "settings"), ("PATCH", 1, "settings"):
                return ok(JSONValue.parse(try JSONEncoder().encode(try updateSettings(body))) ?? .null)
            case ("POST", 1, "apps"):
                let certs = try (body["certificates"]?.arrayValue ?? []).compactMap(\.stringValue).map { try Certificate(pem: Data($0.utf8)) }
                let roles = (body["roles"]?.arrayValue ?? []).compactMap(\.stringValue)
                let id = registerApp(clientId: body["clientId"]?.stringValue, displayName: body["displayName"]?.stringValue ?? "galsync", roles: roles, certificates: certs)
                return .json(201, ["clientId": .string(id)])
            case ("POST", 3, "apps") where s[2] == "certificates":
                try addCertificate(clientId: s[1], try Certificate(pem: Data((body["pem"]?.stringValue ?? "").utf8)))
                return ok()
            case ("PATCH", 2, "apps"):
                if let roles = body["roles"]?.arrayValue { try setRoles(clientId: s[1], roles.compactMap(\.stringValue)) }
                if let scope = body["mailboxScope"] { try setMailboxScope(clientId: s[1], scope.arrayValue?.compactMap(\.stringValue)) }
                return ok()
            case ("POST", 1, "users"):
                var props = body.objectValue ?? [:]
                let mailbox = props.removeValue(forKey: "hasMailbox")?.boolValue ?? true
                return .json(201, ["id": .string(try createUser(props, hasMailbox: mailbox))])
            case ("PATCH", 2, "users"):
                var props = body.objectValue ?? [:]
                let mailbox = props.removeValue(forKey: "hasMailbox")?.boolValue
                try updateUser(s[1], props, hasMailbox: mailbox)
                return ok()
            case ("DELETE", 2, "users"):
                try deleteUser(s[1], permanent: request.query["permanent"] == "true")
                return ok()
            case ("PUT", 3, "users") where s[2] == "photo":
                try setUserPhoto(s[1], original: Int(body["original"]?.numberValue ?? 648)); return ok()
            case ("DELETE", 3, "users") where s[2] == "photo":
                try removeUserPhoto(s[1]); return ok()
            case ("POST", 3, "users") where s[2] == "restore":
                try restoreUser(s[1]); return ok()
            case ("POST", 1, "groups"):
                let id = createGroup(displayName: body["displayName"]?.stringValue ?? "group", members: (body["members"]?.arrayValue ?? []).compactMap(\.stringValue))
                return .json(201, ["id": .string(id)])
            case ("POST", 3, "groups") where s[2] == "members":
                try changeMembers(group: s[1], add: (body["add"]?.arrayValue ?? []).compactMap(\.stringValue),
                                  remove: (body["remove"]?.arrayValue ?? []).compactMap(\.stringValue))
                return ok()
            case ("GET", 2, "mailboxes"): return ok(mailboxState(s[1]))
            case ("POST", 3, "mailboxes") where s[2] == "contacts":
                let id = try ownerCreatesContact(mailbox: s[1], folderId: body["folderId"]?.stringValue, properties: body["properties"]?.objectValue ?? [:],
                                                 extendedProperties: (body["extendedProperties"]?.objectValue ?? [:]).compactMapValues(\.stringValue))
                return .json(201, ["id": .string(id)])
            case ("PATCH", 4, "mailboxes") where s[2] == "contacts":
                try ownerEditsContact(mailbox: s[1], contactId: s[3], properties: body.objectValue ?? [:]); return ok()
            case ("DELETE", 4, "mailboxes") where s[2] == "contacts":
                try ownerDeletesContact(mailbox: s[1], contactId: s[3]); return ok()
            case ("POST", 4, "mailboxes") where s[2] == "contactDelta" && s[3] == "expire":
                try expireContactDeltaTokens(mailbox: s[1], mode: body["mode"]?.stringValue); return ok()
            case ("DELETE", 4, "mailboxes") where s[2] == "folders":
                try ownerDeletesFolder(mailbox: s[1], folderId: s[3]); return ok()
            case ("POST", 1, "responses"):
                guard let route = body["route"]?.stringValue else { return .json(400, ["error": "route is required, e.g. 'GET /users/delta'"]) }
                let raw = body["raw"]?.stringValue.map { Data($0.utf8) } ?? (body["json"] ?? .null).encoded()
                queueResponse(route: route, status: Int(body["status"]?.numberValue ?? 200), body: raw)
                return ok()
            case ("POST", 2, "delta") where s[1] == "expire":
                expireDeltaTokens(mode: body["mode"]?.stringValue); return ok()
            default:
                return .json(404, ["error": .string("no control endpoint \(request.method) /_sim/\(s.joined(separator: "/"))")])
            }
        } catch let error as AdminError {
            return .json(error.status, ["error": .string(error.description)])
        } catch let error as SimulatorSettings.SettingsError {
            return .json(400, ["error": .string(error.message)])
        } catch {
            return .json(400, ["error": .string("\(error)")])
        }
    }
}
