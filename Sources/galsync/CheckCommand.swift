import ArgumentParser
import Foundation
import GalsyncConfig
import GalsyncCore

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check config, key and certificate, token, permissions, a directory read and one mailbox; one line per step with the fix.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let path = ConfigurationLoader.path(explicit: options.config)
        let config: Configuration
        do {
            config = try ConfigurationLoader.load(path: path)
        } catch {
            print("✗ config: \(error)")
            throw ExitCode(ExitStatus.config.rawValue)
        }
        let report = await Preflight(config: config, configPath: path).run()
        for step in report.steps { print(step.line) }
        if report.exitStatus != .ok { throw ExitCode(report.exitStatus.rawValue) }
    }
}
