import Foundation
import GalsyncConfig
import GalsyncJSON
import GalsyncText
import SyncStore

/// `galsync status` of a many-tenant install without `--tenant`: each tenant's health in one
/// line, and the worst of them for `--check` (a monitoring check on the whole install; one
/// per tenant with `--tenant`).
public struct TenantHealth: Sendable {
    public var name: String
    public var health: StatusHealth

    /// Each tenant's health from what the state (or, for someone who cannot read it, the
    /// status file) says. A tenant whose file is broken is UNKNOWN with its first problem.
    public static func assess(_ installation: Installation, now: Date = Date()) -> [TenantHealth] {
        installation.tenants.map { tenant in
            TenantHealth(name: tenant.name, health: assess(tenant, now: now))
        }
    }

    public static func assess(_ tenant: Installation.Tenant, now: Date = Date()) -> StatusHealth {
        let config: Configuration
        switch tenant.config {
        case .failure(let error):
            let first = error.problems.first.map { ($0.key.isEmpty ? "" : $0.key + ": ") + $0.message } ?? "\(error)"
            return StatusHealth(level: .unknown, reasons: ["configuration error in \(tenant.file): \(SafeText.line(first))"])
        case .success(let c): config = c
        }
        if StatusFile.cannotRead(config.sync.state) {
            switch StatusFile.read(statePath: config.sync.state, tenant: config.name) {
            case .success(let (file, _)): return file.health(now: now)
            case .failure(let failure): return StatusHealth(level: .unknown, reasons: [StatusFile.unreadable(statePath: config.sync.state, failure: failure).message])
            }
        }
        guard FileManager.default.fileExists(atPath: config.sync.state) else {
            return StatusHealth(level: .unknown, reasons: ["no cycle has run yet (no state at \(config.sync.state))"])
        }
        do {
            let store = try StateStore(path: config.sync.state, readOnly: true)
            return try StatusReport(config: config, store: store, running: StateLockHolder.find(lockPath: config.sync.state + ".lock"), now: now).health
        } catch {
            return StatusHealth(level: .unknown, reasons: ["cannot read the state: \(SafeText.line("\(error)"))"])
        }
    }

    /// The whole install for `--check`: the worst tenant's level, the tenants not OK first.
    public static func combined(_ all: [TenantHealth]) -> StatusHealth {
        let worst = all.map(\.health.level).max() ?? .unknown
        let bad = all.filter { $0.health.level != .ok }
        var reasons = ["\(all.count) tenant\(all.count == 1 ? "" : "s"), \(all.count - bad.count) OK"]
        reasons += bad.sorted { $0.health.level > $1.health.level }.map { "\($0.name) \($0.health.level.word): \($0.health.reasons.first ?? "")" }
        return StatusHealth(level: worst, reasons: reasons)
    }

    /// With state in PostgreSQL: each tenant's health from a copy of its saved state, and who
    /// holds it, as one more reason.
    public static func assess(_ installation: Installation, shared: SharedState, now: Date = Date()) async throws -> [TenantHealth] {
        let holders = try await shared.holders()
        var out: [TenantHealth] = []
        for tenant in installation.tenants {
            var health: StatusHealth
            if case .success(let config) = tenant.config {
                if let copy = try await shared.copy(config) {
                    defer { try? FileManager.default.removeItem(atPath: copy.folder) }
                    health = assess(Installation.Tenant(name: tenant.name, file: tenant.file, config: .success(copy.config)), now: now)
                } else {
                    health = StatusHealth(level: .unknown, reasons: ["no cycle has run yet (no state saved in PostgreSQL)"])
                }
                let lease = holders.first { $0.tenant == NodeLeases.leaseName(config) }
                health.reasons.append(lease?.node.map { "held by node \($0) (token \(lease!.token), lease \(Int(lease!.secondsLeft)) s more)" } ?? "held by no node")
            } else {
                health = assess(tenant, now: now)
            }
            out.append(TenantHealth(name: tenant.name.isEmpty ? "default" : tenant.name, health: health))
        }
        return out
    }

    /// One line per tenant: its name, its level, why.
    public static func text(_ all: [TenantHealth]) -> String {
        let width = max(6, all.map(\.name.count).max() ?? 6)
        return all.map { t in
            t.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + t.health.level.word.padding(toLength: 8, withPad: " ", startingAt: 0) + "  " + t.health.reasons.joined(separator: "; ")
        }.joined(separator: "\n")
    }

    public static func json(_ all: [TenantHealth]) -> JSONValue {
        let combined = combined(all)
        return ["level": .string(combined.level.word), "tenants": .array(all.map {
            ["name": .string($0.name), "level": .string($0.health.level.word), "reasons": .array($0.health.reasons.map { .string($0) })]
        })]
    }
}
