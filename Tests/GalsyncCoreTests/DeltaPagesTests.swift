import Foundation
@testable import GalsyncCore
@testable import GalsyncSources
import GalsyncJSON
@testable import GalsyncPlan
import GraphClient
import Testing

/// Delta pages folded over a packed snapshot: what a later round leaves out is kept, what it
/// removes goes, a full round replaces everything, and the changed users' text is what the
/// snapshot stored when it held JSON text (`JSONValue` objects merged and encoded).
@Suite struct DeltaPagesTests {
    static let rows = [
        "a": #"{"accountEnabled":true,"businessPhones":["+1 1"],"city":"Köln","displayName":"Ä","id":"a","jobTitle":"One","mail":null}"#,
        "b": #"{"displayName":"B","id":"b"}"#,
        "c": #"{"displayName":"C","givenName":"","id":"c","userType":"Guest"}"#,
    ]

    static func snapshot() -> [String: DirectoryUser] { Dictionary(uniqueKeysWithValues: rows.map { ($0.key, DirectoryUser(id: $0.key, json: $0.value)!) }) }

    static func page(_ entries: [JSONValue], link: String) -> JSONValue {
        ["value": .array(entries), "@odata.deltaLink": .string(link)]
    }

    /// The text the fold wrote before the packed form: the known text parsed, the entry's
    /// selected properties laid over it, encoded.
    static func textFold(_ known: String?, _ entry: JSONValue) -> String {
        var merged = known.flatMap { JSONValue.parse(Data($0.utf8))?.objectValue } ?? [:]
        for (k, v) in entry.objectValue ?? [:] where DirectoryUser.selectedProperties.contains(k) { merged[k] = v }
        return String(decoding: JSONValue.object(merged).encoded(), as: UTF8.self)
    }

    @Test func aLaterRoundKeepsWhatItLeavesOutAndWritesTheSameText() async throws {
        try await SyncHarness.with { h in
            let graph = try GalsyncRuntime.make(h.config, environment: [:]).graph
            let changeA: JSONValue = ["id": "a", "jobTitle": "Two", "mail": "a@x", "employeeId": "dropped", "businessPhones": []]
            let newD: JSONValue = ["id": "d", "displayName": "D \u{1F642}", "accountEnabled": false, "manager": ["id": "m"]]
            var delta = DeltaPages(full: false, snapshot: Self.snapshot())
            let next = try delta.consume(["value": [changeA], "@odata.nextLink": .string("\(h.url)/v1.0/users/delta?$skiptoken=1")], graph: graph)
            #expect(next != nil)
            #expect(try delta.consume(Self.page([["id": "b", "@removed": ["reason": "deleted"]], newD], link: "\(h.url)/v1.0/users/delta?$deltatoken=2"), graph: graph) == nil)
            #expect(delta.deltaLink?.hasSuffix("deltatoken=2") == true && !delta.full && delta.known == 3)
            #expect(Set(delta.changed.keys) == ["a", "d"] && delta.removed == ["b"])
            #expect(delta.changed["a"]?.json == Self.textFold(Self.rows["a"], changeA))
            #expect(delta.changed["d"]?.json == Self.textFold(nil, newD))
            let (users, dropped) = delta.users()
            #expect(Set(users.keys) == ["a", "c", "d"] && dropped == 1)
            #expect(users["c"]?.json == Self.rows["c"], "an unreported user is the snapshot's, unchanged")
            #expect(users["a"]?.string("city") == "Köln" && users["a"]?.string("jobTitle") == "Two" && users["a"]?.array("businessPhones") == [])
        }
    }

    @Test func aFullRoundReplacesTheSnapshotAndCountsWhoItDropped() async throws {
        try await SyncHarness.with { h in
            let graph = try GalsyncRuntime.make(h.config, environment: [:]).graph
            let onlyA: JSONValue = ["id": "a", "displayName": "A"]
            for restarted in [false, true] {
                // Full from the start, or a later round whose saved link expired (restarted).
                var delta = DeltaPages(full: !restarted, snapshot: Self.snapshot())
                if restarted {
                    _ = try delta.consume(["value": [["id": "c", "jobTitle": "read before the restart"]], "@odata.nextLink": .string("\(h.url)/v1.0/users/delta?$skiptoken=1")], graph: graph)
                    delta.restart()
                }
                _ = try delta.consume(Self.page([onlyA, ["id": "e", "displayName": "E"], ["id": "e", "@removed": [:]]], link: "\(h.url)/v1.0/users/delta?$deltatoken=3"), graph: graph)
                #expect(delta.full && delta.known == 3)
                let (users, dropped) = delta.users()
                #expect(Set(users.keys) == ["a"] && dropped == 2, "b and c were dropped (restarted: \(restarted))")
                #expect(users["a"]?.json == Self.textFold(nil, onlyA), "a full round does not merge over the snapshot")
                #expect(Set(delta.changed.keys) == ["a"] && delta.removed == ["e"])
            }
        }
    }
}
