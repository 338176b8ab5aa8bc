import Foundation
import GalsyncConfig
@testable import GalsyncPostgres
import Logging
import ProcessSupport
import Testing

/// Leases and fencing against a real PostgreSQL (a throwaway cluster per test).
@Suite(.serialized) struct LeaseStoreTests {
    /// Runs `body` with a store on a fresh server; the pool runs beside it.
    static func withStore(lease: TimeInterval = 2, _ body: @escaping @Sendable (LeaseStore, TestPostgres) async throws -> Void) async throws {
        guard let server = try await TestPostgres.startOrSkip() else { return }
        defer { server.stop() }
        let url = try PostgresURL.parse(server.url).get()
        let store = LeaseStore(url: url, password: nil, lease: lease, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            try await store.migrate()
            try await store.migrate()  // twice: nothing to do the second time
            try await body(store, server)
        }
    }

    @Test func oneNodeWinsATenantAndAnotherTakesItOnlyAfterExpiry() async throws {
        try await Self.withStore { store, _ in
            let a = try #require(try await store.acquire("contoso", node: "a")?.token)
            #expect(try await store.acquire("contoso", node: "b") == nil)
            #expect(try await store.renew("contoso", node: "a", token: a))
            // b cannot renew what it does not hold, nor a with a wrong token.
            #expect(try await !store.renew("contoso", node: "b", token: a))
            #expect(try await !store.renew("contoso", node: "a", token: a + 1))
            try await Task.sleep(for: .seconds(2.3))
            let b = try #require(try await store.acquire("contoso", node: "b")?.token)
            #expect(b == a + 1, "every acquisition raises the fencing token")
            // a's lease is gone: renewing fails, so a stops.
            #expect(try await !store.renew("contoso", node: "a", token: a))
            let holders = try await store.holders()
            #expect(holders.map(\.node) == ["b"])
            #expect(try await store.holdings() == ["b": 1])
            // An expired lease nobody took cannot be renewed either: the node must take it again.
            try await Task.sleep(for: .seconds(2.3))
            #expect(try await !store.renew("contoso", node: "b", token: b))
            #expect(try await store.holdings() == [:])
        }
    }

    @Test func aStateWriteUnderALostLeaseIsRefusedAndWritesNothing() async throws {
        try await Self.withStore { store, _ in
            let a = try #require(try await store.acquire("fabrikam", node: "a")?.token)
            try await store.save("fabrikam", node: "a", token: a, bytes: Data("a's state".utf8))
            try await Task.sleep(for: .seconds(2.3))
            // Expired, nobody took it yet: still refused (the token is no longer current).
            await #expect(throws: LeaseStoreError.self) { try await store.save("fabrikam", node: "a", token: a, bytes: Data("late".utf8)) }
            let b = try #require(try await store.acquire("fabrikam", node: "b")?.token)
            #expect(try await store.load("fabrikam")?.bytes == Data("a's state".utf8))
            try await store.save("fabrikam", node: "b", token: b, bytes: Data("b's state".utf8))
            // The paused node wakes and writes with its old token: refused, b's state stays.
            await #expect(throws: LeaseStoreError.self) { try await store.save("fabrikam", node: "a", token: a, bytes: Data("zombie".utf8)) }
            let saved = try #require(try await store.load("fabrikam"))
            #expect(saved.bytes == Data("b's state".utf8))
            #expect(saved.token == b)
        }
    }

    @Test func aReleasedTenantIsFreeAtOnceAndNodesAreCounted() async throws {
        try await Self.withStore(lease: 30) { store, _ in
            #expect(try await store.heartbeat(node: "a") == ["a"])
            #expect(try await store.heartbeat(node: "b") == ["a", "b"])
            let a = try #require(try await store.acquire("t1", node: "a"))
            #expect(!a.clean)
            try await store.release("t1", node: "a", token: a.token, clean: true)
            // Released after a save: the next node knows nothing is missing from the state.
            let b = try #require(try await store.acquire("t1", node: "b"))
            #expect(b == .init(token: a.token + 1, clean: true))
            // Taken after an expiry or a release without a save: not clean.
            try await store.release("t1", node: "b", token: b.token)
            #expect(try await store.acquire("t1", node: "a")?.clean == false)
            // Only one of many simultaneous tries wins.
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<12 { group.addTask { try await store.acquire("t2", node: "n\(n)") != nil } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
        }
    }
}
