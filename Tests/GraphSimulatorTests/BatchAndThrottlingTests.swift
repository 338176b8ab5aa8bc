import Foundation
@testable import GraphSimulator
import Testing

@Suite struct BatchTests {
    func item(_ id: String, _ method: String, _ url: String, body: JSONValue? = nil, dependsOn: [String] = []) -> JSONValue {
        var o: [String: JSONValue] = ["id": .string(id), "method": .string(method), "url": .string(url)]
        if let body { o["body"] = body; o["headers"] = ["Content-Type": "application/json"] }
        if !dependsOn.isEmpty { o["dependsOn"] = .array(dependsOn.map(JSONValue.string)) }
        return .object(o)
    }

    @Test func batchLimitsAndIds() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let tooMany = (0..<21).map { item("\($0)", "GET", "/users/\(owner)/contacts") }
        #expect(try await t.graph("POST", "/$batch", body: ["requests": .array(tooMany)], token: token).status == 400)
        let dup = [item("a", "GET", "/users"), item("A", "GET", "/users")]
        #expect(try await t.graph("POST", "/$batch", body: ["requests": .array(dup)], token: token).status == 400)
        let noType: JSONValue = ["requests": [["id": "1", "method": "POST", "url": .string("/users/\(owner)/contacts"), "body": ["displayName": "x"]]]]
        #expect(try await t.graph("POST", "/$batch", body: noType, token: token).status == 400)
        let absolute = [item("1", "GET", "https://graph.microsoft.com/v1.0/users")]
        #expect(try await t.graph("POST", "/$batch", body: ["requests": .array(absolute)], token: token).status == 400)
        let contacts = await t.sim.mailboxState(owner)["contacts"]
        #expect(contacts == nil || contacts == [])
    }

    @Test func dependsOnFailureGives424AndItemsAreRoutedAlone() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let requests: [JSONValue] = [
            item("a", "POST", "/users/\(owner)/contacts", body: ["displayName": "A"]),
            item("b", "POST", "users/\(owner)/contacts", body: ["shoeSize": "44"]),
            item("c", "POST", "/users/\(owner)/contacts", body: ["displayName": "C"], dependsOn: ["b"]),
            item("d", "GET", "/users/\(owner)/contacts", dependsOn: ["a"]),
        ]
        let r = try await t.graph("POST", "/$batch", body: ["requests": .array(requests)], token: token)
        #expect(r.status == 200)
        let byId = Dictionary(uniqueKeysWithValues: r.json!["responses"]!.arrayValue!.map { ($0["id"]!.stringValue!, $0) })
        #expect(byId["a"]?["status"] == 201 && byId["b"]?["status"] == 400 && byId["c"]?["status"] == 424 && byId["d"]?["status"] == 200)
        #expect(byId["b"]?["body"]?["error"]?["code"] == "RequestBodyRead")
        let contacts = await t.sim.mailboxState(owner)["contacts"]!.arrayValue!
        #expect(contacts.map { $0["displayName"] } == ["A"])
        let counters = await t.sim.counterSnapshot()
        #expect(counters["totalRequests"] == 1)
        #expect(counters["batchItems"]?["POST /users/{id}/contacts"]?["201"] == 1)
    }

    @Test func eachBatchItemIsThrottledOnItsOwn() async throws {
        var settings = SimulatorSettings()
        settings.mailboxRequests = 5
        let t = try await TestTenant(users: 10, settings: settings)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let requests = (0..<8).map { item("\($0)", "POST", "/users/\(owner)/contacts", body: ["displayName": .string("N\($0)")]) }
        let r = try await t.graph("POST", "/$batch", body: ["requests": .array(requests)], token: token)
        let statuses = r.json!["responses"]!.arrayValue!.map { Int($0["status"]!.numberValue!) }
        #expect(statuses.filter { $0 == 201 }.count == 5)
        let throttled = r.json!["responses"]!.arrayValue!.filter { $0["status"] == 429 }
        #expect(throttled.count == 3)
        #expect(throttled.allSatisfy { $0["headers"]?["Retry-After"] != nil && $0["body"]?["error"]?["code"] == "ApplicationThrottled" })
        #expect(await t.sim.mailboxState(owner)["contacts"]!.arrayValue!.count == 5)
    }
}

@Suite struct ThrottlingTests {
    @Test func fifthConcurrentRequestToOneMailboxGets429() async throws {
        var settings = SimulatorSettings()
        settings.latencyMs = 300
        let t = try await TestTenant(users: 10, settings: settings)
        let token = try await t.token()
        let owner = await t.mailboxOwner(), other = await t.mailboxOwner(1)
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<5 { group.addTask { (try? await t.graph("GET", "/users/\(owner)/contacts", token: token).status) ?? 0 } }
            // Another mailbox is not affected by the first one's limit.
            group.addTask { (try? await t.graph("GET", "/users/\(other)/contacts", token: token).status) ?? 0 }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.sorted() == [200, 200, 200, 200, 200, 429])
        let counters = await t.sim.counterSnapshot()
        #expect(counters["highestConcurrency"]?[owner] == 4)
        #expect(counters["throttled"] == 1)
    }

    @Test func rateLimitAnswersRetryAfterUntilTheWindowFrees() async throws {
        var settings = SimulatorSettings()
        settings.mailboxRequests = 3
        settings.mailboxWindowSeconds = 60
        let t = try await TestTenant(users: 10, settings: settings)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        for _ in 0..<3 { #expect(try await t.graph("GET", "/users/\(owner)/contacts", token: token).status == 200) }
        let limited = try await t.graph("GET", "/users/\(owner)/contacts", token: token)
        #expect(limited.status == 429 && limited.errorCode == "ApplicationThrottled")
        #expect(limited.headers["Retry-After"] == "60")
        t.clock.advance(60)
        #expect(try await t.graph("GET", "/users/\(owner)/contacts", token: token).status == 200)
    }

    @Test func globalLimitAppliesAcrossMailboxesAndDirectory() async throws {
        var settings = SimulatorSettings()
        settings.globalRequests = 2
        let t = try await TestTenant(users: 10, settings: settings)
        let token = try await t.token()
        #expect(try await t.graph("GET", "/users", token: token).status == 200)
        #expect(try await t.graph("GET", "/users", token: token).status == 200)
        let r = try await t.graph("GET", "/users", token: token)
        #expect(r.status == 429 && r.errorCode == "TooManyRequests" && r.headers["Retry-After"] != nil)
    }

    @Test func throttleStateMachine() {
        var s = ThrottleState()
        var settings = SimulatorSettings()
        settings.mailboxConcurrency = 2
        settings.mailboxRequests = 3
        settings.mailboxWindowSeconds = 10
        let t0 = Date(timeIntervalSince1970: 0)
        #expect(s.admitMailbox(app: "a", mailbox: "m", now: t0, settings: settings) == .admitted)
        #expect(s.admitMailbox(app: "a", mailbox: "m", now: t0, settings: settings) == .admitted)
        #expect(s.admitMailbox(app: "a", mailbox: "m", now: t0, settings: settings) == .concurrency(retryAfter: 1))
        // Another app has its own budget on the same mailbox.
        #expect(s.admitMailbox(app: "b", mailbox: "m", now: t0, settings: settings) == .admitted)
        s.release(app: "a", mailbox: "m")
        #expect(s.admitMailbox(app: "a", mailbox: "m", now: t0 + 4, settings: settings) == .admitted)
        s.release(app: "a", mailbox: "m"); s.release(app: "a", mailbox: "m")
        #expect(s.admitMailbox(app: "a", mailbox: "m", now: t0 + 5, settings: settings) == .rate(retryAfter: 5, global: false))
        #expect(s.admitMailbox(app: "a", mailbox: "m", now: t0 + 10, settings: settings) == .admitted)
        #expect(s.highestConcurrency["m"] == 2)
    }
}

@Suite struct FaultTests {
    @Test func injected503CarriesRetryAfterAndIsCounted() async throws {
        var settings = SimulatorSettings()
        settings.rate503 = 1
        settings.retryAfter503 = 7
        let t = try await TestTenant(users: 5, settings: settings)
        let r = try await t.graph("GET", "/users")
        #expect(r.status == 503 && r.headers["Retry-After"] == "7")
        #expect(await t.sim.counterSnapshot()["faults"]?["503"] == 1)
    }

    @Test func faultSequenceIsSeeded() async throws {
        func run() async throws -> [Int] {
            var settings = SimulatorSettings()
            settings.rate503 = 0.3
            settings.rate504 = 0.2
            settings.faultSeed = 99
            let t = try await TestTenant(users: 5, settings: settings)
            let token = try await t.token()
            var out: [Int] = []
            for _ in 0..<30 { out.append(try await t.graph("GET", "/users", token: token).status) }
            return out
        }
        let a = try await run(), b = try await run()
        #expect(a == b)
        #expect(Set(a) == [200, 503, 504])
    }
}
