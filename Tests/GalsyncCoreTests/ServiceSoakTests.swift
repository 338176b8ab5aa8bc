import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// The service under a hostile Graph for several cycles while the directory changes: 503s,
/// 504s and dropped connections after Graph carried the request out, 429 bursts, SIGHUP and
/// SIGTERM at seeded random moments, restarts. Every cycle that recorded itself `ok` must have
/// left the mailboxes exact; at the end, with the faults gone, one more start converges, with
/// no duplicates and a sound database. `GALSYNC_SOAK_SEED` replays a run.
@Suite struct ServiceSoakTests {
    static let seed = UInt64(ProcessInfo.processInfo.environment["GALSYNC_SOAK_SEED"] ?? "") ?? 20261205

    @Test(.timeLimit(.minutes(5)))
    func aHostileRunNeverReportsOKWhileInexact() async throws {
        let seed = Self.seed
        try await SyncHarness.with(users: 20) { h in
            var random = SeededRandom(seed: seed)
            _ = try await h.sim.updateSettings(["rate503": 0.05, "rate504Processed": 0.02, "rateDropProcessed": 0.03, "rate504": 0.01,
                                                "retryAfter503": 0.2, "latencyMs": 15, "jitterMs": 20, "faultSeed": .number(Double(seed % 1_000_000))])
            var sources = await h.expectedSources().map { $0["id"]!.stringValue! }
            var okCycles = 0, interrupted = 0
            var outcomes: [String] = []
            for round in 0..<6 {
                // The directory changes between starts.
                try await h.sim.updateUser(sources[round], ["jobTitle": .string("Soak \(round)")])
                _ = try await h.sim.createUser(["displayName": .string("Soak hire \(round)"), "mail": .string("soak\(round)@contoso.com"),
                                                "userPrincipalName": .string("soak\(round)@contoso.com")], hasMailbox: round % 2 == 0)
                if round == 3 { try await h.sim.deleteUser(sources[8]) }
                // A 429 burst on some rounds: tight mailbox limits.
                _ = try await h.sim.updateSettings(["mailboxRequests": round % 3 == 1 ? 12 : 10_000, "mailboxWindowSeconds": 1])

                let socket = try NotifySocket()
                let child = try ServiceSignalTests.run(h, socket)
                try await socket.waitFor("READY=1")
                // SIGHUP at a random moment of the cycle, sometimes; then SIGTERM either at a
                // random moment or after the cycle ended.
                if random.chance(0.6) {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...1_500, using: &random)))
                    kill(child.process.processIdentifier, SIGHUP)
                }
                if random.chance(0.5) {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...2_500, using: &random)))
                } else {
                    try await socket.waitFor("mailboxes,", seconds: 120)
                }
                let sent = Date()
                kill(child.process.processIdentifier, SIGTERM)
                let status = await child.wait()
                #expect(status == 0, "round \(round): run exited \(status) (seed \(seed))")
                #expect(Date().timeIntervalSince(sent) < 5, "round \(round): stopped \(Date().timeIntervalSince(sent)) s after SIGTERM (seed \(seed))")

                let store = try StateStore(path: h.statePath, readOnly: true)
                outcomes.append(try store.recentCycles(limit: 1).first?.outcome ?? "none")
                if let last = try store.recentCycles(limit: 1).first {
                    if last.outcome == "ok" {
                        okCycles += 1
                        let differences = await h.differences()
                        #expect(differences.isEmpty, "round \(round): a cycle recorded ok while inexact: \(differences.prefix(3)) (seed \(seed))")
                    }
                    if last.outcome == "interrupted" { interrupted += 1 }
                }
                #expect(try store.integrityCheck() == "ok")
                sources = await h.expectedSources().map { $0["id"]!.stringValue! }
            }
            let faults = await h.counters()["faults"]?.objectValue ?? [:]
            #expect(faults.count >= 3, "faults of several kinds were injected: \(faults)")
            // The faults stop: one more start converges.
            _ = try await h.sim.updateSettings(["rate503": 0, "rate504Processed": 0, "rateDropProcessed": 0, "rate504": 0, "latencyMs": 0, "jitterMs": 0,
                                                "mailboxRequests": 10_000])
            let socket = try NotifySocket()
            let child = try ServiceSignalTests.run(h, socket)
            try await socket.waitFor("mailboxes, 0 failed", seconds: 120)
            kill(child.process.processIdentifier, SIGTERM)
            #expect(await child.wait() == 0)
            #expect(try StateStore(path: h.statePath, readOnly: true).recentCycles(limit: 1).first?.outcome == "ok")
            await h.expectExact(" (seed \(seed))")
            #expect(try StateStore(path: h.statePath).integrityCheck() == "ok")
            print("soak (seed \(seed)): outcomes \(outcomes): \(okCycles) ok, \(interrupted) interrupted; faults \(faults)")
        }
    }
}
