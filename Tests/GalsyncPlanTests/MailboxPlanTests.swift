@testable import GalsyncPlan
import Testing

/// A plan's operations come in user id order whatever order the dictionaries give them in;
/// the extra copies a listing found come last.
@Suite struct MailboxPlanTests {
    static func projection(_ id: String, _ title: String = "T") -> ContactProjection {
        ContactProjection(user: DirectoryUser(id: id, properties: ["displayName": .string(id), "jobTitle": .string(title)]))
    }

    @Test func operationsAreInUserIdOrder() {
        let ids = (0..<2_000).map { "u\(($0 * 7_919) % 2_000)" }
        var desired: [String: ContactProjection] = [:], actual: [String: MailboxPlan.Actual] = [:]
        for (i, id) in ids.enumerated() {
            if i % 3 != 0 { desired[id] = Self.projection(id) }  // a third are deleted
            if i % 2 == 0 { actual[id] = .init(contactId: "c-\(id)", hash: i % 4 == 0 ? "stale" : Self.projection(id).hash) }
        }
        let plan = MailboxPlan(owner: "o", desired: desired, actual: actual, extraContacts: [(contactId: "dup", userId: "u0")])
        let users = plan.operations.map(\.userId)
        #expect(Array(users.dropLast()) == users.dropLast().sorted() && plan.operations.last == .delete(contactId: "dup", userId: "u0"))
        #expect(plan.creates == desired.keys.filter { actual[$0] == nil }.count)
        #expect(plan.deletes == actual.keys.filter { desired[$0] == nil }.count + 1)
        #expect(plan.creates + plan.updates + plan.deletes == plan.operations.count && plan.updates > 0)
        let changed = MailboxPlan(owner: "o", desired: desired, actual: actual, changed: Set(ids), holding: actual.count)
        #expect(changed.operations.map(\.userId) == users.dropLast().map { $0 })
    }
}
