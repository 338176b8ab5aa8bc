import Foundation
import GalsyncConfig
import GalsyncJSON
import GalsyncPlan

/// `galsync-bench diff N`: times the engine's pure work for one cycle over N users with no
/// network: projections (and their hashes) for every user, then one mailbox's plan against a
/// snapshot holding the same contacts but 1% changed. Then the same for the next cycle of a
/// running service, where the delta round reported 1% of the users changed and the others'
/// projections come from `ProjectionCache`. Prints JSON.
@main
struct DiffBenchmark {
    static func main() async {
        let n = Int(CommandLine.arguments.dropFirst().first { Int($0) != nil } ?? "") ?? 100_000
        var users: [String: DirectoryUser] = [:]
        for i in 0..<n {
            let id = String(format: "%08x-0000-4000-8000-%012x", i, i)
            users[id] = DirectoryUser(id: id, properties: [
                "displayName": .string("User \(i)"), "givenName": .string("User"), "surname": .string("\(i)"),
                "mail": .string("user\(i)@contoso.com"), "businessPhones": [.string("+1 425 555 \(i % 10000)")],
                "mobilePhone": .string("+44 7700 \(i)"), "jobTitle": "Engineer", "department": "R&D", "companyName": "Contoso",
                "officeLocation": "Building 1", "city": "Redmond", "country": "United States", "accountEnabled": true, "userType": "Member",
            ])
        }
        let clock = ContinuousClock()
        let start = clock.now
        let cache = ProjectionCache()
        let projections = await cache.projections(of: users, basis: .init(from: nil, to: "L1", changed: []), excluding: []).projections
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
        let warmProjections = await cache.projections(of: next, basis: .init(from: "L1", to: "L2", changed: changed), excluding: []).projections
        let warmPlan = MailboxPlan(owner: "owner", desired: warmProjections, actual: actual)
        let warmEnd = clock.now
        func s(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        print(#"{"users":\#(n),"projection_s":\#(s(projected - start)),"plan_s":\#(s(end - planStart)),"total_s":\#(s(projected - start) + s(end - planStart)),"updates":\#(plan.updates),"unchanged":\#(plan.unchanged),"warm_s":\#(s(warmEnd - warmStart)),"warm_updates":\#(warmPlan.updates)}"#)
    }
}
