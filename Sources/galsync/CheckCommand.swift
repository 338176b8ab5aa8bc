import ArgumentParser
import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncJSON
import GalsyncRun
import Logging

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check config, key and certificate, token, permissions, a directory read and one mailbox; one line per step with the fix.")

    @OptionGroup var options: ConfigOption
    @Flag(help: "One JSON object: {\"ok\", \"exit_code\", \"steps\": [{\"name\", \"ok\", \"message\", \"fix\"}]}, with \"error\" on failure.") var json = false

    func run() async throws {
        let path = ConfigurationLoader.path(explicit: options.config)
        var config: Configuration
        let installation: Installation
        do {
            installation = try options.installation()
            config = try installation.tenant(named: options.tenant)
        } catch {
            // The first step, failed: the same line, or object, as a later step's failure.
            let step: JSONValue = ["name": "config", "ok": false, "outcome": "fail", "message": .string("\(error)"), "fix": nil]
            if json { print(Self.json(steps: [step], status: .config, failure: ("config: \(error)", nil))) } else { print("✗ config: \(error)") }
            throw ExitCode(ExitStatus.config.rawValue)
        }
        // State in PostgreSQL: the checks that read the state read a copy of the saved one
        // (none saved yet, or unreachable: none), never a node's working copy.
        let copy = (try? await StateCopy.of(config, in: installation, logger: Logger(label: "galsync"))) ?? StateCopy.empty(config)
        defer { copy.remove() }
        config = copy.config
        let report = await Preflight(config: config, configPath: path).run()
        if json {
            let failed = report.steps.last { $0.outcome == .fail }
            print(Self.json(steps: report.steps.map(\.json), status: report.exitStatus, failure: failed.map { ("\($0.name): \($0.detail)", $0.fix) }))
        } else {
            for step in report.steps { print(step.line) }
        }
        if report.exitStatus != .ok { throw ExitCode(report.exitStatus.rawValue) }
    }

    /// `{"ok", "exit_code", "steps"}`, and on failure the contract's error object: the failed
    /// step's message and its fix (or the general one for that exit status).
    static func json(steps: [JSONValue], status: ExitStatus, failure: (message: String, fix: String?)?) -> String {
        var object: [String: JSONValue] = ["ok": .bool(status == .ok), "exit_code": .number(Double(status.rawValue)), "steps": .array(steps)]
        if status != .ok {
            object["error"] = [
                "code": .number(Double(status.rawValue)),
                "message": .string(failure?.message ?? "check failed"),
                "fix": .string(failure?.fix ?? CommandFailure.fix(for: status)),
            ]
        }
        return String(decoding: JSONValue.object(object).encoded(), as: UTF8.self)
    }
}
