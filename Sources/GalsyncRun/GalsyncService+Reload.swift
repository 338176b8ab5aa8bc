import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncPlan
import Logging
import UnixSignals

extension GalsyncService {
    /// SIGHUP: re-read the install. A tenant whose file changed gets its new configuration at
    /// its next cycle (the running one finishes with the old); a new tenant starts; a tenant
    /// whose file is gone stops (its cycle is cancelled between batches). A tenant whose file
    /// is now broken keeps its previous configuration, said in the journal; a broken main file
    /// keeps everything as it was.
    func reloads(_ tenants: RunningTenants, _ hangups: UnixSignalsSequence, _ orders: AsyncStream<TenantCommand>.Continuation, _ leases: NodeLeases?) async {
        for await _ in hangups {
            notifier.reloading()
            let installation: Installation
            do {
                installation = try InstallationLoader.load(path: configPath)
                if installation.isMultiTenant != initial.isMultiTenant {
                    throw SyncError.badConfiguration("include = [...] cannot be added or removed while running; restart galsync")
                }
                if installation.store != initial.store {
                    throw SyncError.badConfiguration("[store] cannot change while running; restart galsync")
                }
            } catch {
                logger.error("reload refused, keeping the previous configuration: \(error)")
                notifier.ready(status: "reload refused, the previous configuration stays: \(String("\(error)".prefix(160)))")
                continue
            }
            var refused: [String] = []
            let before = await tenants.names
            for tenant in installation.tenants {
                let running = await tenants.loop(tenant.name)
                do {
                    let config = try tenant.config.get()
                    if let running {
                        try await change(running, to: config)
                    } else if leases != nil {
                        // With PostgreSQL, a new tenant comes to whichever node leases it first.
                    } else {
                        orders.yield(.start(TenantLoop(config: config, runtime: nil, lock: nil, logger: logger, notifier: notifier)))
                        logger.notice("tenant \(tenant.name) added: starting its first cycle", metadata: ["tenant": "\(tenant.name)"])
                    }
                } catch {
                    refused.append(tenant.name.isEmpty ? "\(error)" : "\(tenant.name): \(error)")
                    let log = running?.logger ?? logger
                    if running != nil || !initial.isMultiTenant {
                        log.error("reload refused, keeping the previous configuration: \(error)")
                    } else {
                        log.error("tenant \(tenant.name) not started: \(error)", metadata: ["tenant": "\(tenant.name)", "error_code": "78"])
                    }
                }
            }
            leases?.update(installation)
            for name in before.subtracting(installation.tenants.map(\.name)) {
                logger.notice("tenant \(name) is no longer in the configuration: stopping it", metadata: ["tenant": "\(name)"])
                await tenants.stop(name)
            }
            if refused.isEmpty {
                logger.notice("configuration reloaded from \(configPath)")
                notifier.ready(status: "configuration reloaded")
            } else {
                notifier.ready(status: "reload refused, the previous configuration stays: \(String(refused.joined(separator: "; ").prefix(160)))")
            }
        }
    }

    /// A running tenant's new configuration, checked as its next cycle would check it.
    func change(_ loop: TenantLoop, to config: Configuration) async throws {
        let old = await loop.status.config
        guard config != old else { return }
        if config.sync.state != old.sync.state {
            loop.logger.warning("sync.state cannot change while running; restart galsync to use \(config.sync.state)")
        }
        var adopted = config
        adopted.sync.state = old.sync.state
        // Refused here, not at the next cycle: a reload that every cycle would fail on.
        if let problem = ConfigSanity.stateProblem(adopted) { throw problem }
        if let placeholder = ConfigSanity.placeholders(adopted).first { throw SyncError.badConfiguration(placeholder) }
        await loop.status.swap(adopted, try GalsyncRuntime.make(adopted, gate: loop.lease?.gate))
        if !config.name.isEmpty { loop.logger.notice("tenant \(config.name): configuration reloaded") }
    }
}
