import ArgumentParser
import Foundation

/// `galsync`: wiring only; the work is done in GalsyncCore and the adapters.
@main
struct Galsync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "galsync",
        abstract: "Keeps Exchange Online mailbox contacts in step with the directory.",
        discussion: """
            Configuration: --config FILE, else $GALSYNC_CONFIG, else /etc/galsync/galsync.toml.
            Exit codes: 0 ok, 1 some mailboxes failed, 75 service unreachable, 77 authentication or
            permission refused, 78 bad configuration.
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, SyncCommand.self, PlanCommand.self, StatusCommand.self, CheckCommand.self, CertCommand.self, PurgeCommand.self])
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $GALSYNC_CONFIG or /etc/galsync/galsync.toml).")
    var config: String?
}
