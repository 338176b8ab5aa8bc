import Foundation
import GalsyncConfig
import GalsyncCrypto
import GalsyncJSON
import GalsyncSources
import GraphClient
import GraphHTTP

/// `galsync check`: walks the chain an operator needs working — configuration, key and
/// certificate, token, granted permissions, a directory read, one mailbox — and stops at the
/// first broken link with the fix.
public struct Preflight: Sendable {
    public struct Step: Sendable, Equatable {
        public enum Outcome: Sendable, Equatable { case pass, warn, fail }
        public var name: String
        public var outcome: Outcome
        public var detail: String
        public var fix: String?

        public var line: String {
            let mark = outcome == .pass ? "✓" : outcome == .warn ? "!" : "✗"
            return "\(mark) \(name): \(detail)" + (fix.map { "\n    fix: \($0)" } ?? "")
        }
    }

    public struct Report: Sendable {
        public var steps: [Step]
        public var exitStatus: ExitStatus
    }

    /// Application permissions galsync needs, each with the broader ones that also satisfy it.
    public static let requiredPermissions: [(String, Set<String>)] = [
        ("User.Read.All", ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"]),
        ("GroupMember.Read.All", ["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"]),
        ("Contacts.ReadWrite", ["Contacts.ReadWrite"]),
    ]

    let config: Configuration
    let configPath: String
    let environment: [String: String]
    let now: @Sendable () -> Date

    public init(config: Configuration, configPath: String, environment: [String: String] = ProcessInfo.processInfo.environment, now: @escaping @Sendable () -> Date = { Date() }) {
        self.config = config
        self.configPath = configPath
        self.environment = environment
        self.now = now
    }

    public func run() async -> Report {
        var steps = [Step(name: "config", outcome: .pass, detail: configPath)]
        func done(_ status: ExitStatus) -> Report { Report(steps: steps, exitStatus: status) }
        let placeholders = ConfigSanity.placeholders(config)
        if !placeholders.isEmpty {
            steps[0] = Step(name: "config", outcome: .fail, detail: "\(configPath): the example's placeholder ids are still in place",
                            fix: placeholders.joined(separator: "\n    fix: "))
            return done(.config)
        }
        if let problem = ConfigSanity.stateProblem(config) {
            steps.append(Step(name: "state", outcome: .fail, detail: "\(problem)"))
            return done(.config)
        }
        for line in WhereCounts.fromState(config).lines {
            let text = line.kept.map { "keeps \($0) of \(line.of) users in the snapshot: \(line.rule)" } ?? "\(line.rule) (\(line.note ?? ""))"
            // A rule that keeps no one is almost always a mistake (a value's spelling): say so, do not fail.
            let warn = line.kept == 0
            steps.append(Step(name: line.key, outcome: warn ? .warn : .pass, detail: text,
                              fix: warn ? "check the values' spelling with `galsync why USER`; a rule that keeps no one leaves no contacts (or no mailboxes)" : nil))
        }
        steps += Self.fieldSteps(config)

        let credential: CertificateCredential
        do {
            credential = try CertificateCredential.load(certificatePath: config.tenant.certificate, privateKeyPath: config.tenant.privateKey,
                                                        passphraseFile: config.tenant.passphraseFile, environment: environment)
            steps.append(Step(name: "key and certificate", outcome: .pass, detail: "\(credential.certificate.subject), key from \(credential.keySource), they match"))
        } catch {
            steps.append(Step(name: "key and certificate", outcome: .fail, detail: "\(error)"))
            return done(.config)
        }

        let days = CertificateTool.daysLeft(credential.certificate, now: now())
        let thumb = Digest.hex(credential.certificate.sha1Thumbprint).uppercased()
        if days < 0 {
            steps.append(Step(name: "certificate validity", outcome: .fail, detail: "expired \(-days) days ago (SHA-1 \(thumb))",
                              fix: "make a new one with 'galsync cert new', upload it to the app registration, point tenant.certificate at it"))
            return done(.permission)
        }
        steps.append(Step(name: "certificate validity", outcome: days < 30 ? .warn : .pass, detail: "\(days) days left (SHA-1 \(thumb))",
                          fix: days < 30 ? "renew soon: 'galsync cert new', upload, switch, then remove the old one" : nil))

        let transport = CurlTransport(caFile: config.tenant.caFile)
        let algorithm = SignatureAlgorithm(rawValue: config.tenant.assertionAlgorithm) ?? .ps256
        let tokens = TokenProvider(settings: .init(tenant: config.tenant.id, clientId: config.tenant.clientId, loginEndpoint: config.tenant.loginEndpoint,
                                                   graphEndpoint: config.tenant.graphEndpoint, algorithm: algorithm),
                                   credential: credential, transport: transport, now: now)
        let token: AccessToken
        do {
            token = try await tokens.token()
            steps.append(Step(name: "token", outcome: .pass, detail: "app token from \(config.tenant.loginEndpoint.host ?? ""), valid until \(ISO8601DateFormatter().string(from: token.expiresOn))"))
        } catch let error as IdentityError {
            steps.append(Step(name: "token", outcome: .fail, detail: error.message))
            return done(error.isRetryable ? .transient : .permission)
        } catch {
            steps.append(Step(name: "token", outcome: .fail, detail: "\(error)"))
            return done(.transient)
        }

        let granted = Set(token.roles)
        let missing = Self.requiredPermissions.filter { granted.isDisjoint(with: $0.1) }.map(\.0)
        let consentFix = { (names: [String]) in
            "App registrations → the app → API permissions → Add a permission → Microsoft Graph → Application permissions → \(names.joined(separator: ", ")); then 'Grant admin consent' (a Global Administrator or Privileged Role Administrator must do it)"
        }
        let directoryMissing = missing.filter { $0 != "Contacts.ReadWrite" }
        if !directoryMissing.isEmpty {
            steps.append(Step(name: "permissions", outcome: .fail, detail: "missing \(missing.joined(separator: ", ")) (granted: \(granted.sorted().joined(separator: ", ")))",
                              fix: consentFix(missing)))
            return done(.permission)
        }
        if missing.contains("Contacts.ReadWrite") {
            // Exchange Online RBAC for Applications grants mailbox access outside the token's
            // roles: the mailbox step below decides.
            steps.append(Step(name: "permissions", outcome: .warn,
                              detail: "Contacts.ReadWrite is not in the token; fine only if Exchange Online RBAC for Applications grants \"Application Contacts.ReadWrite\" (checked below)",
                              fix: consentFix(["Contacts.ReadWrite"]) + ", or assign the Exchange role to the app's service principal"))
        } else {
            steps.append(Step(name: "permissions", outcome: .pass, detail: Self.requiredPermissions.map(\.0).joined(separator: ", ")))
        }
        if !config.directory.excludeMailboxTypes.isEmpty {
            let types = config.directory.excludeMailboxTypes.joined(separator: ", ")
            if granted.isDisjoint(with: SyncEngine.purposeRoles) {
                steps.append(Step(name: "mailbox types", outcome: .warn,
                                  detail: "MailboxSettings.Read is not granted: exclude_mailbox_types (\(types)) cannot be applied, and cycles go on without it",
                                  fix: consentFix(["MailboxSettings.Read"]) + "; or set exclude_mailbox_types = [] to stop asking"))
            } else {
                steps.append(Step(name: "mailbox types", outcome: .pass, detail: "MailboxSettings.Read granted: \(types) mailboxes are neither contacts nor targets"))
            }
        }

        let graph = GraphAPI(graphEndpoint: config.tenant.graphEndpoint, tokens: tokens, transport: transport)
        let candidates: [String]
        do {
            let users = try await graph.request("GET", "/users?$select=id,userPrincipalName&$top=5").json?["value"]?.arrayValue ?? []
            steps.append(Step(name: "directory read", outcome: .pass, detail: "GET /users answered"))
            if config.directory.honorHidden { steps.append(await Self.hiddenStep(graph)) }
            if config.directory.includeOrgContacts {
                do {
                    _ = try await graph.request("GET", "/contacts?$top=1&$select=id")
                    steps.append(Step(name: "org contacts", outcome: .pass, detail: "GET /contacts answered (include_org_contacts)"))
                } catch let error as GraphError where error.status == 403 {
                    steps.append(Step(name: "org contacts", outcome: .fail, detail: "include_org_contacts is on, but Graph refused /contacts: \(error)",
                                      fix: consentFix(["OrgContact.Read.All"]) + "; or set include_org_contacts = false"))
                    return done(.permission)
                }
            }
            var names = config.mailboxes.users
            for group in config.mailboxes.groups where names.isEmpty {
                let members = try await graph.request("GET", "/groups/\(GraphPath.segment(group))/transitiveMembers?$select=id,userPrincipalName&$top=5").json?["value"]?.arrayValue ?? []
                names += members.filter { $0["@odata.type"]?.stringValue == "#microsoft.graph.user" }.compactMap { $0["userPrincipalName"]?.stringValue ?? $0["id"]?.stringValue }
            }
            // Named for people: a UPN where Graph gave one (the path takes either).
            candidates = names.isEmpty ? users.compactMap { $0["userPrincipalName"]?.stringValue ?? $0["id"]?.stringValue } : Array(names.prefix(5))
        } catch {
            steps.append(Self.failure("directory read", error))
            return done(Self.status(for: error))
        }

        for (i, mailbox) in candidates.enumerated() {
            do {
                _ = try await graph.request("GET", "/users/\(GraphPath.segment(mailbox))/contactFolders?$top=1")
                steps.append(Step(name: "mailbox", outcome: .pass, detail: "contact folders of \(mailbox) can be listed"))
                if config.contact.photos || config.lists.contains(where: { $0.contact.photos }) { steps.append(await Self.photoStep(graph, user: mailbox)) }
                steps += await Self.listSteps(config, graph: graph)
                return done(steps.contains { $0.outcome == .fail } ? .config : .ok)
            } catch let error as GraphError where error.code == "MailboxNotEnabledForRESTAPI" && i < candidates.count - 1 {
                continue  // that user has no mailbox; try the next
            } catch {
                steps.append(Self.failure("mailbox \(mailbox)", error))
                return done(Self.status(for: error))
            }
        }
        steps.append(Step(name: "mailbox", outcome: .warn, detail: "no user to try a mailbox with"))
        steps += await Self.listSteps(config, graph: graph)
        return done(steps.contains { $0.outcome == .fail } ? .config : .ok)
    }

    /// `[contact] photos`: one user's photo metadata, as each cycle reads it. Refused, it is a
    /// warning: cycles go on, and copy no photo.
    static func photoStep(_ graph: GraphAPI, user: String) async -> Step {
        do {
            _ = try await graph.request("GET", "/users/\(GraphPath.segment(user))/photo")
            return Step(name: "photos", outcome: .pass, detail: "users' photos can be read (\(user)'s answered)")
        } catch let error as GraphError where error.status == 404 && UserPhotoReader.noPhoto(code: error.code, message: error.message) {
            return Step(name: "photos", outcome: .pass, detail: "users' photos can be read (\(user) has none)")
        } catch let error as GraphError where error.status == 403 {
            return Step(name: "photos", outcome: .warn, detail: "photos are on, but Graph refused \(user)'s photo: \(error)",
                        fix: "grant the app ProfilePhoto.Read.All (or User.Read.All) and admin consent; or set [contact] photos = false")
        } catch {
            return Step(name: "photos", outcome: .warn, detail: "\(user)'s photo could not be read: \(error)")
        }
    }

    /// `honor_hidden`: the advanced query galsync reads the hidden users with, asked for one
    /// id and the count. Refused, it is a warning: cycles go on without it.
    static func hiddenStep(_ graph: GraphAPI) async -> Step {
        let url = HiddenUserPages.firstURL.replacingOccurrences(of: "$top=999", with: "$top=1")
        do {
            let body = try await graph.request("GET", url, headers: HiddenUserPages.headers).json
            let count = body?["@odata.count"]?.numberValue.map { String(Int($0)) } ?? "some"
            return Step(name: "hidden users", outcome: .pass,
                        detail: "\(count) users have showInAddressList = false in Entra and are left out (honor_hidden); users hidden only in Exchange Online are not seen by Graph")
        } catch {
            return Step(name: "hidden users", outcome: .warn, detail: "Graph refused the query for users hidden from the address list: \(error)",
                        fix: "cycles go on without it (honor_hidden keeps the last set it read); set honor_hidden = false to stop asking")
        }
    }

    static func failure(_ name: String, _ error: any Error) -> Step {
        if let t = error as? HTTPTransportError { return Step(name: name, outcome: .fail, detail: t.problem, fix: t.fix) }
        guard let g = error as? GraphError else { return Step(name: name, outcome: .fail, detail: "\(error)") }
        let fix: String? = switch g.code {
        case "MailboxNotEnabledForRESTAPI": "this user has no Exchange Online mailbox (unlicensed, on-premises or soft-deleted): license it or leave it out of [mailboxes]"
        case "ErrorAccessDenied": "the app may not open this mailbox: grant Contacts.ReadWrite with admin consent, or — if access is scoped with Exchange Online RBAC for Applications or an application access policy — add this mailbox to the scope (Test-ServicePrincipalAuthorization shows what the app may reach)"
        case "Authorization_RequestDenied": "grant the missing application permission and admin consent (see 'permissions')"
        case "Request_ResourceNotFound": "an id the configuration names does not exist: check the group ids in [directory] and [mailboxes] (Entra admin center → Groups → the group → Object ID) and the users in mailboxes.users"
        default: g.isRetryable ? "Graph is busy or failing; galsync retries. Run 'galsync check' again later" : nil
        }
        return Step(name: name, outcome: .fail, detail: g.description, fix: fix)
    }

    static func status(for error: any Error) -> ExitStatus {
        if let g = error as? GraphError { return g.isRetryable ? .transient : [401, 403].contains(g.status) ? .permission : .partial }
        return GalsyncRuntime.exitStatus(for: error)
    }

}

extension Preflight.Step {
    /// `check --json`: `{"name", "ok", "outcome": "pass|warn|fail", "message", "fix"}`; a
    /// warning is ok (it does not stop galsync), and `fix` is null where there is nothing to do.
    public var json: JSONValue {
        let word = switch outcome { case .pass: "pass"; case .warn: "warn"; case .fail: "fail" }
        return ["name": .string(name), "ok": .bool(outcome != .fail), "outcome": .string(word), "message": .string(detail), "fix": fix.json]
    }
}
