import Foundation
import GalsyncConfig
import GalsyncJSON
import GalsyncPlan

/// `galsync-bench diff N`: times the engine's pure work for one cycle over N users with no
/// network: projections (and their hashes) for every user, then one mailbox's plan against a
/// snapshot holding the same contacts but 1% changed. Then the same for the next cycle of a
/// running service, where the delta round reported 1% of the users changed and the others'
/// projections come from `ProjectionCache`. Last, the scope (`SyncScope`) of those users with
/// `mailboxes.all`, without and with a `[directory] where` rule over an extra property that
/// one user in 50 holds. Then the projections again through a `[contact.fields]` table of four
/// more fields, and with `phone_format = "e164"` (each user's two numbers through
/// libphonenumber). Prints JSON.
@main
struct DiffBenchmark {
    static func main() async {
        let n = Int(CommandLine.arguments.dropFirst().first { Int($0) != nil } ?? "") ?? 100_000
        var users: [String: DirectoryUser] = [:]
        for i in 0..<n {
            let id = String(format: "%08x-0000-4000-8000-%012x", i, i)
            users[id] = DirectoryUser(id: id, properties: [
                "displayName": .string("User \(i)"), "givenName": .string("User"), "surname": .string("\(i)"),
                "mail": .string("user\(i)@contoso.com"), "businessPhones": [.string(i % 2 == 0 ? "+1 425 555 \(1000 + i % 9000)" : "(425) 555-\(1000 + i % 9000)")],
                "mobilePhone": .string("+44 7700 \(i)"), "jobTitle": "Engineer", "department": "R&D", "companyName": "Contoso",
                "officeLocation": "Building 1", "city": "Redmond", "country": "United States", "accountEnabled": true, "userType": "Member",
                "onPremisesExtensionAttributes": i % 50 == 13 ? ["extensionAttribute1": "TEST"] : ["extensionAttribute1": .null],
            ], extra: ["onPremisesExtensionAttributes"])
        }
        let clock = ContinuousClock()
        let start = clock.now
        let cache = ProjectionCache()
        let projections = await cache.projections(of: users, basis: .init(from: nil, to: "L1", changed: [])).projections
        let projected = clock.now
        var actual: [String: MailboxPlan.Actual] = [:]
        for (i, (id, p)) in projections.enumerated() {
            actual[id] = .init(contactId: "c\(i)", hash: i % 100 == 0 ? "stale" : p.hash)
        }
        let planStart = clock.now
        let plan = MailboxPlan(owner: "owner", desired: projections, actual: actual)
        let end = clock.now
        // The next cycle: 1% of the users changed in the directory.
        var next = users
        var changed: Set<String> = []
        for (i, id) in users.keys.sorted().enumerated() where i % 100 == 1 {
            next[id]!.properties["jobTitle"] = .string("Changed \(i)")
            changed.insert(id)
        }
        let warmStart = clock.now
        let warmProjections = await cache.projections(of: next, basis: .init(from: "L1", to: "L2", changed: changed)).projections
        let warmPlan = MailboxPlan(owner: "owner", desired: warmProjections, actual: actual)
        let warmEnd = clock.now
        var config = Configuration(tenant: .init(id: "contoso.onmicrosoft.com", clientId: "c", certificate: "/dev/null"))
        config.mailboxes.all = true
        let scopeStart = clock.now
        let plain = SyncScope(users: next, groupMembers: [:], config: config)
        let scopeEnd = clock.now
        config.directory.where = try! WhereRule("onPremisesExtensionAttributes/extensionAttribute1 ne 'TEST' and not startsWith(department, 'Test')")
        let filtered = SyncScope(users: next, groupMembers: [:], config: config)
        let whereEnd = clock.now
        // The same users through a configured table: four more fields from user properties,
        // then every phone number parsed and formatted (E.164) with libphonenumber.
        var mapped = Configuration.ContactSettings()
        mapped.fields = [
            "nickName": ContactFieldRule(from: ["givenName"], fromKind: .text),
            "homePhones": ContactFieldRule(from: ["onPremisesExtensionAttributes", "extensionAttribute1"], fromKind: .text),
            "initials": ContactFieldRule(from: ["surname"], fromKind: .text),
            "emailAddresses": ContactFieldRule(from: ["mail"], fromKind: .text),
        ]
        let mappedStart = clock.now
        _ = await ProjectionCache().projections(of: users, basis: .init(from: nil, to: "L1", changed: []), fields: .directory(mapped))
        let mappedEnd = clock.now
        var phones = Configuration.ContactSettings()
        phones.phoneFormat = .e164
        let phoneCache = ProjectionCache()
        let phonesStart = clock.now
        let formatted = await phoneCache.projections(of: users, basis: .init(from: nil, to: "L1", changed: []), fields: .directory(phones)).projections
        let phonesEnd = clock.now
        // A running service's next cycle: only the 1% of users the delta reported are formatted again.
        _ = await phoneCache.projections(of: next, basis: .init(from: "L1", to: "L2", changed: changed), fields: .directory(phones))
        let phonesWarmEnd = clock.now
        let sample = formatted.values.first?.field("businessPhones")?.arrayValue?.first?.stringValue ?? ""
        func s(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        print(#"{"users":\#(n),"projection_s":\#(s(projected - start)),"plan_s":\#(s(end - planStart)),"total_s":\#(s(projected - start) + s(end - planStart)),"updates":\#(plan.updates),"unchanged":\#(plan.unchanged),"warm_s":\#(s(warmEnd - warmStart)),"warm_updates":\#(warmPlan.updates),"scope_s":\#(s(scopeEnd - scopeStart)),"scope_where_s":\#(s(whereEnd - scopeEnd)),"sources":\#(plain.sources.count),"sources_where":\#(filtered.sources.count),"projection_mapped_s":\#(s(mappedEnd - mappedStart)),"projection_phones_s":\#(s(phonesEnd - phonesStart)),"projection_phones_warm_s":\#(s(phonesWarmEnd - phonesEnd)),"phone_numbers":\#(2 * n),"phone_sample":"\#(sample)"}"#)
    }
}
