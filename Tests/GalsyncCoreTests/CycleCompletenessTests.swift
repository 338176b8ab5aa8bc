import Foundation
import GalsyncConfig
@testable import GalsyncCore
@testable import GalsyncPlan
@testable import GalsyncRun
import GraphSimulator
import ProcessSupport
import SyncStore
import Synchronization
import Testing

/// A cycle finishes its own work and never reports success that did not happen: operations
/// whose outcome Graph left unknown are settled by listing the mailbox again within the cycle,
/// what is still unknown is `pending` (exit 1), and one refused contact does not stop the rest.
@Suite struct CycleCompletenessTests {
    /// The fault mix of a hostile run: 503s, and 504s and dropped connections that strike after
    /// Graph carried the request out (on plain requests, on batch items, on whole batches).
    static func faults(seed: Int) -> JSONValue {
        ["rate503": 0.05, "rate504Processed": 0.02, "rateDropProcessed": 0.02, "retryAfter503": 0.2, "faultSeed": .number(Double(seed))]
    }

    @Test(.timeLimit(.minutes(10)))
    func firstCyclesUnderFaultsAreExactOrSaySo() async throws {
        let exactAndOK = Mutex(0)
        for seed in 1...20 {
            try await SyncHarness.with(users: 24) { h in
                _ = try await h.sim.updateSettings(Self.faults(seed: seed))
                var summary: CycleSummary?
                do { summary = try await h.sync() } catch { /* a cycle may fail whole; it then says so */ }
                _ = try await h.sim.updateSettings(["rate503": 0, "rate504Processed": 0, "rateDropProcessed": 0])
                let differences = await h.differences()
                if let summary, summary.exitStatus == .ok {
                    #expect(differences.isEmpty, "seed \(seed): exit 0 while inexact: \(differences.prefix(3))")
                    #expect(summary.pending == 0)
                    if differences.isEmpty { exactAndOK.withLock { $0 += 1 } }
                } else if let summary {
                    #expect(summary.pending > 0 || summary.mailboxesFailed > 0, "seed \(seed): a non-zero exit says why")
                }
                let faults = await h.counters()["faults"]?.objectValue ?? [:]
                #expect(faults["504-processed"] != nil || faults["drop-processed"] != nil, "seed \(seed): faults after processing were injected: \(faults)")
                // Whatever the first cycle left, the next clean one is exact.
                if !differences.isEmpty {
                    let next = try await h.sync()
                    #expect(next.exitStatus == .ok, "seed \(seed): \(next.problems)")
                    await h.expectExact(" (seed \(seed), second cycle)")
                }
            }
        }
        let exact = exactAndOK.withLock { $0 }
        print("first cycles under faults: \(exact) of 20 ended exact with exit 0")
        #expect(exact >= 19, "\(exact) of 20 first cycles ended exact with exit 0")
    }

    @Test func whatStaysUnconfirmedIsPendingAndExitsOne() async throws {
        try await SyncHarness.with(users: 8) { h in
            // Every create is answered 504 (not carried out), through every listing round.
            for _ in 0..<1_000 {
                await h.sim.queueResponse(route: "POST /users/{id}/contactFolders/{id}/contacts", status: 504,
                                          body: Data(#"{"error":{"code":"gatewayTimeout","message":"The gateway did not receive a timely response."}}"#.utf8))
            }
            let result = await CycleRunner(runtime: try GalsyncRuntime.make(h.config, environment: [:])).run(SyncEngine.Options())
            let summary = try #require(result.summary)
            #expect(summary.pending > 0 && summary.created == 0, "\(summary)")
            #expect(summary.mailboxesOK == 0)
            #expect(result.exitStatus == .partial)
            #expect(summary.json["pending"]?.numberValue == Double(summary.pending))
            let store = try StateStore(path: h.statePath)
            let record = try #require(try store.recentCycles(limit: 1).first)
            #expect(record.outcome == "partial" && record.pending == summary.pending)
            #expect(try store.mailboxes().values.filter { $0.state != "skipped" }.allSatisfy { $0.state == "pending" })
            var metrics = MetricsFile()
            metrics.record(summary, duration: 1, at: Date())
            let text = metrics.render(requestsByStatus: [:], certificateDaysLeft: nil)
            #expect(text.contains("galsync_last_cycle_pending_operations \(summary.pending)"))
            #expect(text.contains("galsync_last_cycle_success 0"))
            #expect(text.contains("galsync_cycles_total{outcome=\"partial\"} 1"))
            // Graph answers again: the pending mailboxes are listed and finished.
            await h.sim.clearCannedResponses()
            let next = try await h.sync()
            #expect(next.exitStatus == .ok && next.pending == 0, "\(next)")
            await h.expectExact()
        }
    }

    @Test func aMailboxFinishedByAFollowUpIsListedOnceMoreNextCycle() async throws {
        try await SyncHarness.with(users: 10) { h in
            // Three creates answered 504 (not carried out): their mailboxes are listed and
            // finished within the cycle, and marked to be listed once more.
            for _ in 0..<3 {
                await h.sim.queueResponse(route: "POST /users/{id}/contactFolders/{id}/contacts", status: 504,
                                          body: Data(#"{"error":{"code":"gatewayTimeout","message":"The gateway did not receive a timely response."}}"#.utf8))
            }
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.pending == 0, "\(first)")
            await h.expectExact()
            let store = try StateStore(path: h.statePath)
            let states = try store.mailboxes().mapValues(\.state)
            let verify = states.filter { $0.value == "verify" }.map(\.key)
            #expect(!verify.isEmpty && verify.count <= 3, "\(states)")
            // A create the gateway gave up on is carried out late: a second copy appears.
            let owner = try #require(verify.first)
            let folder = try #require(store.mailboxes()[owner]?.folderId)
            let user = try #require(try store.managedContacts(owner).keys.first)
            _ = try await h.sim.ownerCreatesContact(mailbox: owner, folderId: folder, properties: ["displayName": "late copy"],
                                                    extendedProperties: [SyncHarness.tag: user])
            await h.sim.resetCounters()
            let second = try await h.sync()
            #expect(second.exitStatus == .ok && second.deleted == 1, "the late copy is found and deleted: \(second)")
            let listings = await h.counters()["requests"]?["GET /users/{id}/contactFolders/{id}/contacts"]?["200"]?.numberValue ?? 0
            #expect(Int(listings) == verify.count, "only the marked mailboxes are listed")
            #expect(try store.mailboxes().values.allSatisfy { $0.state != "verify" })
            await h.expectExact()
        }
    }

    @Test func oneRefusedCreateDoesNotAbandonTheRestOfItsMailbox() async throws {
        try await SyncHarness.with(users: 30, { $0.sync.concurrency = 4 }) { h in
            await h.sim.queueResponse(route: "POST /users/{id}/contactFolders/{id}/contacts", status: 400,
                                      body: Data(#"{"error":{"code":"ErrorInvalidProperty","message":"A property is invalid."}}"#.utf8))
            let first = try await h.sync()
            #expect(first.mailboxesFailed == 1)
            #expect(first.exitStatus == .partial)
            let sources = Set(await h.expectedSources().compactMap { $0["id"]?.stringValue })
            let targets = await h.expectedTargets()
            // Every contact but the refused one was written (a target that is not a source, such
            // as a user hidden from the address list, gets every source's contact).
            let expected = targets.reduce(0) { $0 + sources.count - (sources.contains($1) ? 1 : 0) } - 1
            #expect(first.created == expected, "\(first.created) created; \(first.problems)")
            #expect(first.problems.values.contains { $0.contains("400 ErrorInvalidProperty") })
            let second = try await h.sync()
            #expect(second.exitStatus == .ok)
            #expect(second.created == 1)
            await h.expectExact()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aStateDatabaseLockedDuringTheBatchesEndsTheCyclePromptly() async throws {
        try await SyncHarness.with(users: 45, { $0.sync.concurrency = 8 }) { h in
            // One mailbox with two batches of work: while one worker sends the first, the other
            // waits for that mailbox to be free, which is where a failed worker left it waiting.
            h.config.mailboxes.all = false
            h.config.mailboxes.users = [await h.expectedTargets()[0]]
            _ = try await h.sim.updateSettings(["latencyMs": 150])
            let engine = try h.engine().0
            let cycle = Task { try await engine.cycle() }
            // Once the writes have begun, another process takes the database's write lock for 20 s.
            while await (h.counters()["batchItemsTotal"]?.numberValue ?? 0) == 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            let locker = SpawnedProcess("/usr/bin/env", ["python3", "-c", "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(20)", h.statePath])
            let out = Pipe()
            locker.standardOutput = out
            locker.standardError = FileHandle.standardError
            try locker.start()
            defer { locker.kill() }
            _ = out.fileHandleForReading.availableData  // "locked"
            let started = Date()
            await #expect(throws: (any Error).self) { _ = try await cycle.value }
            #expect(Date().timeIntervalSince(started) < 15, "the cycle ended \(Date().timeIntervalSince(started)) s after the lock")
            locker.kill()
            locker.waitUntilExit()
            _ = try await h.sim.updateSettings(["latencyMs": 0])
            h.config.mailboxes.all = true
            h.config.mailboxes.users = []
            let next = try await h.sync()
            #expect(next.exitStatus == .ok, "\(next.problems)")
            await h.expectExact()
            #expect(try StateStore(path: h.statePath).integrityCheck() == "ok")
        }
    }

    @Test func anEmptyFullDirectoryReadIsRefusedAndLosesNothing() async throws {
        try await SyncHarness.with(users: 12) { h in
            try await h.sync()
            let store = try StateStore(path: h.statePath)
            let users = try store.directoryUsers().count, managed = try store.managedContactCount(), mailboxes = try store.mailboxes().count
            // The saved link is gone (as after a 410): the next round enumerates every user, and
            // Graph (or something in between) answers an empty, well-formed round.
            try store.setMeta("delta_link", nil)
            await h.sim.queueResponse(route: "GET /users/delta", body: Data(#"{"value":[],"@odata.deltaLink":"\#(h.url)/v1.0/users/delta?$deltatoken=empty"}"#.utf8))
            await #expect { try await h.sync() } throws: { error in
                guard case SyncError.directoryShrank(let dropped, let known, _, _) = error else { return false }
                return dropped == users && known == users
            }
            #expect(try store.directoryUsers().count == users)
            #expect(try store.managedContactCount() == managed)
            #expect(try store.mailboxes().count == mailboxes)
            let next = try await h.sync()
            #expect(next.exitStatus == .ok && next.deleted == 0, "\(next)")
            await h.expectExact()
        }
    }

    @Test func aListingThatIsNotAGraphCollectionIsRefused() async throws {
        try await SyncHarness.with(users: 12) { h in
            try await h.sync()
            // A proxy's login page, answered 200, instead of one mailbox's contacts.
            await h.sim.queueResponse(route: "GET /users/{id}/contactFolders/{id}/contacts", status: 200,
                                      body: Data("<html><body>Please sign in to continue</body></html>".utf8), headers: ["Content-Type": "text/html"])
            let relisted = try await h.sync { $0.forceReconcile = true }
            #expect(relisted.created == 0, "nothing is made again: \(relisted)")
            #expect(relisted.mailboxesFailed == 1)
            #expect(relisted.problems.values.contains { $0.contains("not a Graph collection") }, "\(relisted.problems)")
            let next = try await h.sync { $0.forceReconcile = true }
            #expect(next.exitStatus == .ok && next.created == 0 && next.deleted == 0, "\(next)")
            await h.expectExact()
        }
    }
}
