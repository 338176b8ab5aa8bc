@testable import GalsyncRun
import Testing

/// How many tenants a node keeps and takes, from the tenants, the live nodes and what each holds.
@Suite struct NodeShareTests {
    typealias Share = (keep: Int, take: Int)

    static func share(_ tenants: Int, _ counts: [String: Int], live: [String], me: String) -> Share {
        NodeLeases.share(tenants: tenants, live: live, counts: counts, me: me)
    }

    @Test func aNodeAloneTakesEveryTenant() {
        #expect(Self.share(5, [:], live: ["a"], me: "a") == (5, 5))
    }

    @Test func aNodeThatJoinsGetsWorkEvenWhenTheSharesRoundUp() {
        // 4 tenants, 3 nodes, c just joined with none: a and b keep only the rounded-down share,
        // c takes up to the rounded-up one; then it settles at 2, 1, 1.
        let live = ["a", "b", "c"]
        #expect(Self.share(4, ["a": 2, "b": 2], live: live, me: "a") == (1, 1))
        #expect(Self.share(4, ["a": 2, "b": 2], live: live, me: "c") == (2, 2))
        #expect(Self.share(4, ["a": 1, "b": 1, "c": 2], live: live, me: "a") == (2, 2))
        #expect(Self.share(4, ["a": 1, "b": 1, "c": 2], live: live, me: "c") == (2, 2))
    }

    @Test func moreNodesThanTenantsEachTakeAtMostOne() {
        #expect(Self.share(2, ["a": 1], live: ["a", "b", "c"], me: "b") == (1, 1))
        #expect(Self.share(2, ["a": 2], live: ["a", "b", "c"], me: "a") == (1, 1))
    }
}
