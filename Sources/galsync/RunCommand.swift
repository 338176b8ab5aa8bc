import ArgumentParser
import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncRun
import Logging
import ServiceLifecycle
import SystemdSupport

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The service: a sync cycle every sync.interval until SIGTERM; SIGHUP reloads the configuration, SIGUSR1 starts a cycle now.",
        discussion: "Made for systemd (Type=notify, WatchdogSec=); logs go to the journal when stderr is the journal.")

    @OptionGroup var options: ConfigOption
    @Option(help: "This node's name when the state is in PostgreSQL ([store] url); default HOSTNAME:PID.") var node: String?
    @Option(help: "Log level: trace, debug (every mailbox and operation), info (phases, each mailbox written to, the cycle), notice, warning, error, critical.") var logLevel: Logger.Level = .info

    func run() async throws {
        GalsyncLogging.bootstrap(level: logLevel)
        let logger = Logger(label: "galsync")
        let installation = try loadInstallation(options)
        let service: GalsyncService
        do {
            service = try GalsyncService(configPath: options.path, installation: installation, logger: logger, node: node)
        } catch {
            throw CommandFailure.exit(error, command: "run", json: false, status: .config)
        }
        let group = ServiceGroup(configuration: .init(services: service.services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("galsync stopped: \(error)")
            throw ExitCode(GalsyncRuntime.exitStatus(for: error).rawValue)
        }
    }
}

/// `--log-level debug`; a wrong word is a usage error naming the choices, not a silent default.
extension Logger.Level: @retroactive ExpressibleByArgument {}
