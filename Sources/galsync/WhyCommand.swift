import ArgumentParser
import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncJSON
import GalsyncRun
import Logging
import GalsyncText
import SyncStore

/// `galsync why USER [--mailbox MAILBOX] [--list NAME]`: why a user is or is not a contact (in a mailbox),
/// rule by rule, and the contact galsync holds for them. Reads the state only (root, as
/// the state is root's).
struct WhyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "why",
        abstract: "Why a user is or is not a contact (in a mailbox): each scope rule with its verdict, and the contact galsync holds. Reads the state only.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The user: UPN or object id.") var user: String
    @Option(help: "A target mailbox: UPN or object id.") var mailbox: String?
    @Option(help: "A [[list]] by name (its folder, rules and state); without it, the list on sync.folder.") var list: String?
    @Flag(help: "Print as JSON.") var json = false

    func run() async throws {
        let (installation, loaded) = try loadTenant(options, json: json, command: "why")
        // State in PostgreSQL: a copy of the tenant's saved state.
        let copy: StateCopy
        do { copy = try await StateCopy.of(loaded, in: installation, logger: Logger(label: "galsync")) } catch { throw CommandFailure.exit(error, command: "why", json: json, status: .config) }
        defer { copy.remove() }
        if copy.savedNothing {
            throw CommandFailure.exit(CommandError("no state saved in PostgreSQL yet for this tenant: 'why' reads what the last cycle saw"), command: "why", json: json, status: .config)
        }
        let config = copy.config
        guard FileManager.default.fileExists(atPath: config.sync.state) else {
            throw CommandFailure.exit(CommandError("no state yet at \(config.sync.state): run 'galsync sync' first; 'why' reads what the last cycle saw"),
                                      command: "why", json: json, status: .config)
        }
        do {
            let store = try StateStore(path: config.sync.state, readOnly: true)
            let report: WhyReport
            if let list {
                let picked = try KeptLists.named(list, in: config.lists)[0]
                let listStore = try KeptLists.state(of: picked, config, home: store, readOnly: true)
                report = try WhyReport(user: user, mailbox: mailbox, config: config.keeping(picked), store: store, list: picked, listStore: listStore ?? StateStore(inMemory: ()))
            } else if let home = config.homeList {
                report = try WhyReport(user: user, mailbox: mailbox, config: config.keeping(home), store: store)
            } else {
                throw CommandError("no list keeps sync.folder '\(config.sync.folder)': name one with --list (\(config.lists.map(\.name).joined(separator: ", ")))")
            }
            if json { print(String(decoding: report.json.encoded(), as: UTF8.self)) } else { printForPeople(report.text) }
        } catch let error as WhyReport.NotFound {
            throw CommandFailure.exit(error, command: "why", json: json, status: .usage)
        } catch {
            throw CommandFailure.exit(error, command: "why", json: json)
        }
    }
}

/// A command's own error, said as it is.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
