import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// A tenant in the simulator, served on loopback, with galsync's config and state for it; and
/// the end-state assertion every engine test ends with, written from the operator contract
/// (not from the engine's own projection code).
struct SyncHarness {
    let install: SimulatedInstall
    var sim: GraphSimulator { install.sim }
    let url: String
    var config: Configuration
    let statePath: String

    static let tag = "String {6d1b6c0e-5f6b-4f0c-9a8e-2a7b0c4f9e31} Name galsyncSourceUserId"

    /// Runs `body` with a harness whose simulator is listening.
    static func with(users: Int = 24, seed: UInt64 = 5, _ configure: @escaping @Sendable (inout Configuration) -> Void = { _ in },
                     _ body: @Sendable @escaping (inout SyncHarness) async throws -> Void) async throws {
        let install = try await SimulatedInstall(users: users)
        try await install.run { url in
            var config = install.config(url)
            config.sync.state = install.dir.appendingPathComponent("state.db").path
            configure(&config)
            var h = SyncHarness(install: install, url: url, config: config, statePath: config.sync.state)
            try await body(&h)
        }
    }

    func engine() throws -> (SyncEngine, StateStore) {
        let rt = try GalsyncRuntime.make(config, environment: [:])
        let store = try StateStore(path: statePath)
        return (SyncEngine(config: config, graph: rt.graph, store: store), store)
    }

    /// An engine as a running service has it: every cycle of this engine shares one runtime's
    /// caches (projections, what each mailbox holds), where `sync()` starts afresh each time.
    func service() throws -> SyncEngine {
        let rt = try GalsyncRuntime.make(config, environment: [:])
        return SyncEngine(config: config, graph: rt.graph, store: try StateStore(path: statePath), projections: rt.projections, listProjections: rt.listProjections)
    }

    @discardableResult
    func sync(_ configure: (inout SyncEngine.Options) -> Void = { _ in }) async throws -> CycleSummary {
        var o = SyncEngine.Options()
        configure(&o)
        return try await engine().0.cycle(o)
    }

    func counters() async -> JSONValue { await sim.counterSnapshot() }

    /// Directory changes of every kind a plan must follow, among the sources of `group`: a new
    /// title, a leaver, a hire who joins the group, a member who leaves it, and a target
    /// owner's own record (left out of their own mailbox only).
    func makeMixedDirectoryChanges(group: String) async throws {
        let sources = await expectedSources().map { $0["id"]!.stringValue! }
        let owner = try #require(await expectedTargets().first { sources.contains($0) })
        let others = sources.filter { $0 != owner }
        try await sim.updateUser(others[0], ["jobTitle": "Newly titled"])
        try await sim.deleteUser(others[1])
        let hire = try await sim.createUser(["displayName": "Hana Hire", "givenName": "Hana", "surname": "Hire", "mail": "hana.hire@contoso.com",
                                             "userPrincipalName": "hana.hire@contoso.com"], hasMailbox: false)
        try await sim.changeMembers(group: group, add: [hire], remove: [others[2]])
        try await sim.updateUser(owner, ["mobilePhone": "+44 7700 900999"])
    }

    // MARK: The contract's end state

    /// Users that must appear, per the contract and `config` (self-contact aside).
    func expectedSources() async -> [JSONValue] {
        let state = await sim.fullState()
        let groups = state["groups"]!.arrayValue!
        func members(_ id: String) -> Set<String> {
            var out = Set<String>(), stack = [id], seen = Set<String>()
            while let g = stack.popLast() {
                guard seen.insert(g).inserted, let group = groups.first(where: { $0["id"]?.stringValue == g }) else { continue }
                for m in group["members"]!.arrayValue!.compactMap(\.stringValue) {
                    if groups.contains(where: { $0["id"]?.stringValue == m }) { stack.append(m) } else { out.insert(m) }
                }
            }
            return out
        }
        let include = config.directory.includeGroups.isEmpty ? nil : config.directory.includeGroups.reduce(into: Set<String>()) { $0.formUnion(members($1)) }
        let exclude = config.directory.excludeGroups.reduce(into: Set<String>()) { $0.formUnion(members($1)) }
        let users = state["users"]!.arrayValue!.filter { u in
            let id = u["id"]!.stringValue!
            let mail = u["mail"]?.stringValue ?? ""
            return u["deleted"] == false && u["userType"] != "Guest" && u["accountEnabled"] == true && !mail.isEmpty
                && (include?.contains(id) ?? true) && !exclude.contains(id) && (keepSource?(u) ?? true)
                && !(config.directory.honorHidden && u["showInAddressList"] == false)  // hidden from the address list in Entra
                && !excludedPurposes.contains(u["purpose"]?.stringValue ?? "user")
        }
        guard config.directory.includeOrgContacts else { return users }
        return users + (await sim.orgContactsState()).filter { $0["deleted"] == false && !($0["mail"]?.stringValue ?? "").isEmpty }
            .map(Self.userShaped).filter { keepSource?($0) ?? true }
    }

    /// A mail contact as the contract turns it into a contact, written here from Graph's
    /// orgContact shape: business and mobile phones from `phones` by type (null numbers
    /// skipped), the address from the first entry with any part.
    static func userShaped(_ c: JSONValue) -> JSONValue {
        var u: [String: JSONValue] = [:]
        for k in ["id", "displayName", "givenName", "surname", "mail", "jobTitle", "department", "companyName"] { u[k] = c[k] ?? .null }
        let phones = c["phones"]?.arrayValue ?? []
        func number(_ type: String) -> JSONValue? { phones.first { $0["type"]?.stringValue == type && !($0["number"]?.stringValue ?? "").isEmpty }?["number"] }
        u["businessPhones"] = .array(number("business").map { [$0] } ?? [])
        u["mobilePhone"] = number("mobile") ?? .null
        if let a = (c["addresses"]?.arrayValue ?? []).first(where: { a in ["street", "city", "state", "postalCode", "countryOrRegion"].contains { !(a[$0]?.stringValue ?? "").isEmpty } }) {
            u["streetAddress"] = a["street"]; u["city"] = a["city"]; u["state"] = a["state"]; u["postalCode"] = a["postalCode"]; u["country"] = a["countryOrRegion"]
        }
        return .object(u)
    }

    /// A test's own reading of a `[directory] where` rule (written in the test, not taken from
    /// galsync's evaluator), applied on top of the contract's rules.
    var keepSource: (@Sendable (JSONValue) -> Bool)?
    /// The same for `[mailboxes] where`, over the target mailboxes' owners.
    var keepTarget: (@Sendable (JSONValue) -> Bool)?
    /// Mailbox types that are neither sources nor targets: set by tests whose app may read them
    /// (MailboxSettings.Read); without it galsync keeps today's rules, as the contract says.
    var excludedPurposes: Set<String> = []
    /// Folders `differences` leaves alone (other lists'), by display name.
    var ignoredFolders: Set<String> = []

    /// Target mailboxes that really have a mailbox.
    func expectedTargets() async -> [String] {
        let state = await sim.fullState()
        return state["users"]!.arrayValue!.filter { u in
            u["deleted"] == false && u["hasMailbox"] == true && u["userType"] != "Guest" && u["accountEnabled"] == true && !(u["mail"]?.stringValue ?? "").isEmpty
                && (keepTarget?(u) ?? true) && !excludedPurposes.contains(u["purpose"]?.stringValue ?? "user")
        }.map { $0["id"]!.stringValue! }
    }

    /// The contract's table: contact fields from a user.
    static func expectedFields(_ u: JSONValue) -> [String: JSONValue] {
        func s(_ k: String) -> JSONValue { (u[k]?.stringValue).flatMap { $0.isEmpty ? nil : JSONValue.string($0) } ?? .null }
        var address: [String: JSONValue] = [:]
        for (c, d) in [("street", "streetAddress"), ("city", "city"), ("state", "state"), ("postalCode", "postalCode"), ("countryOrRegion", "country")] {
            if case .string(let v) = s(d) { address[c] = .string(v) }
        }
        let phones = (u["businessPhones"]?.arrayValue ?? []).prefix(2)
        return [
            "displayName": s("displayName"), "givenName": s("givenName"), "surname": s("surname"),
            "emailAddresses": u["mail"]?.stringValue.map { [["address": .string($0), "name": s("displayName")]] } ?? .null,
            "businessPhones": phones.isEmpty ? .null : .array(Array(phones)), "mobilePhone": s("mobilePhone"), "jobTitle": s("jobTitle"),
            "department": s("department"), "companyName": s("companyName"), "officeLocation": s("officeLocation"),
            "businessAddress": address.isEmpty ? .null : .object(address),
        ]
    }

    static func listedFields(_ c: JSONValue) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for key in ["displayName", "givenName", "surname", "mobilePhone", "jobTitle", "department", "companyName", "officeLocation"] {
            out[key] = (c[key]?.stringValue).flatMap { $0.isEmpty ? nil : JSONValue.string($0) } ?? .null
        }
        let emails = (c["emailAddresses"]?.arrayValue ?? []).map { e -> JSONValue in ["address": e["address"] ?? .null, "name": (e["name"]?.stringValue).map(JSONValue.string) ?? .null] }
        out["emailAddresses"] = emails.isEmpty ? .null : .array(emails)
        let phones = c["businessPhones"]?.arrayValue ?? []
        out["businessPhones"] = phones.isEmpty ? .null : .array(phones)
        let address = (c["businessAddress"]?.objectValue ?? [:]).filter { !$0.value.isNull && $0.value != "" }
        out["businessAddress"] = address.isEmpty ? .null : .object(address)
        return out
    }

    /// Every target mailbox's folder holds exactly one tagged contact per in-scope user (not
    /// the owner's own), with the contract's fields; nothing else in it is galsync's.
    /// `context` is appended to every failure message (e.g. a random seed to replay).
    func expectExact(_ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) async {
        for difference in await differences() { Issue.record("\(difference)\(context)", sourceLocation: sourceLocation) }
    }

    /// How the mailboxes differ from the contract's end state (empty: exact), one line each.
    func differences() async -> [String] {
        var out: [String] = []
        let sources = await expectedSources()
        let byId = Dictionary(uniqueKeysWithValues: sources.map { ($0["id"]!.stringValue!, $0) })
        for owner in await expectedTargets() {
            let box = await sim.mailboxState(owner)
            let folderId: String?
            if config.sync.folder.isEmpty { folderId = box["defaultFolderId"]?.stringValue }
            else { folderId = box["folders"]?.arrayValue?.first { $0["displayName"]?.stringValue == config.sync.folder }?["id"]?.stringValue }
            let folders = box["folders"]?.arrayValue?.filter { $0["displayName"]?.stringValue == config.sync.folder } ?? []
            if folders.count > 1 { out.append("duplicate folders in \(owner)") }
            // Other lists' folders are theirs: checked through their own configuration.
            let others = Set((box["folders"]?.arrayValue ?? []).filter { ignoredFolders.contains($0["displayName"]?.stringValue ?? "") }.compactMap { $0["id"]?.stringValue })
            let tagged = (box["contacts"]?.arrayValue ?? []).filter { $0["extendedProperties"]?[Self.tag] != nil && !others.contains($0["parentFolderId"]?.stringValue ?? "") }
            if !tagged.allSatisfy({ $0["parentFolderId"]?.stringValue == folderId }) { out.append("a tagged contact outside the folder in \(owner)") }
            var seen: [String: Int] = [:]
            for c in tagged { seen[c["extendedProperties"]![Self.tag]!.stringValue!, default: 0] += 1 }
            let expected = Set(byId.keys).subtracting(config.mailboxes.includeSelf ? [] : [owner])
            let missing = expected.subtracting(seen.keys).count, extra = Set(seen.keys).subtracting(expected).count
            if missing + extra > 0 { out.append("mailbox \(owner): \(missing) contacts missing, \(extra) not expected") }
            let duplicated = seen.values.filter { $0 > 1 }.count
            if duplicated > 0 { out.append("mailbox \(owner): \(duplicated) users duplicated") }
            for c in tagged {
                let userId = c["extendedProperties"]![Self.tag]!.stringValue!
                guard let u = byId[userId] else { continue }
                var want = Self.expectedFields(u)
                for f in config.contact.excludeFields { want[f] = .null }
                if Self.listedFields(c) != want { out.append("contact of \(userId) in \(owner): \(Self.listedFields(c)) is not \(want)") }
            }
        }
        return out
    }
}
