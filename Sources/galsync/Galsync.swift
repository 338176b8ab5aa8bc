import ArgumentParser
import CShims
import Foundation
import GalsyncConfig
import GalsyncCore

/// `galsync`: wiring only; the work is done in GalsyncCore and the adapters.
@main
struct Galsync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "galsync",
        abstract: "Keeps Exchange Online mailbox contacts in step with the directory.",
        discussion: """
            Configuration: --config FILE, else $GALSYNC_CONFIG, else
            /etc/galsync/galsync.toml.

            Exit status (sysexits(3)):
              0    done
              1    some mailboxes failed, or some operations are still pending;
                   the rest was done
              64   command-line usage error
              73   the state folder or database cannot be created or written
              75   transient: network, TLS, Graph or login 5xx/429, bad data or
                   links from the server, another galsync holds the state lock;
                   try again later
              77   authentication or permission refused (certificate not
                   uploaded, no consent)
              78   configuration: galsync.toml, key, certificate, or a corrupt or
                   foreign state database
              130  sync interrupted by SIGINT; what was done is recorded, the
                   cycle as interrupted
              143  sync interrupted by SIGTERM; likewise
            """,
        version: BuildInfo.versionLine,
        subcommands: [RunCommand.self, SyncCommand.self, PlanCommand.self, StatusCommand.self, WhyCommand.self, CheckCommand.self, CertCommand.self, ConfigCommand.self, PurgeCommand.self])

    /// No core files, whoever starts galsync (the unit also says LimitCORE=0): a crash must
    /// not write the private key or a token to disk.
    ///
    /// Blocks of 1 MiB and more (a cycle's tables over the whole directory) get their own
    /// mappings, given back when freed. glibc otherwise raises that threshold to the size of
    /// the largest block freed (up to 32 MiB), and the next cycle's tables then leave holes in
    /// the heap that it keeps: ~18 MB of a 100,000-user plan's peak (docs/benchmarks.md).
    static func main() async {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
        _ = gs_malloc_fix_mmap_threshold(1 << 20)
        if let message = CommandLineUsage.unknownCommand(Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(ExitStatus.usage.rawValue)
        }
        await main(nil)
    }

    /// `galsync` alone: the help, as a usage error (64).
    func run() async throws { throw CommandLineUsage.helpThenUsageError(Self.self) }
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $GALSYNC_CONFIG or /etc/galsync/galsync.toml).")
    var config: String?
    @Option(name: .long, help: "The tenant, when the configuration includes several (name = \"...\" at the top of its file).")
    var tenant: String?

    var path: String { ConfigurationLoader.path(explicit: config) }

    /// The install the file describes (one tenant, or `include = [...]`'s).
    func installation() throws(ConfigurationError) -> Installation { try InstallationLoader.load(path: path) }

    /// The one tenant this command is about: `--tenant NAME`, or the install's only one.
    func load() throws(ConfigurationError) -> Configuration { try installation().tenant(named: tenant) }
}
