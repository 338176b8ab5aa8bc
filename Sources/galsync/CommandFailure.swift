import ArgumentParser
import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncJSON

/// How a command that fails says so. As text: one line on stderr, `galsync COMMAND: what
/// failed`. With `--json`: one JSON object on stdout as well (the operator contract),
/// `{"error": {"code": 78, "message": "...", "fix": "..."}}`, so a script that parses stdout
/// never gets nothing. Either way it ends in the exit status for the error.
enum CommandFailure {
    static func exit(_ error: any Error, command: String, json: Bool, status: ExitStatus? = nil) -> ExitCode {
        let code = status ?? GalsyncRuntime.exitStatus(for: error)
        let message = "\(error)"
        FileHandle.standardError.write(Data("galsync \(command): \(message)\n".utf8))
        if json { print(object(code: code, message: message)) }
        return ExitCode(code.rawValue)
    }

    /// The error object alone, for commands that add what they know beside it.
    static func object(code: ExitStatus, message: String) -> String {
        let value: JSONValue = ["error": ["code": .number(Double(code.rawValue)), "message": .string(message), "fix": .string(fix(for: code))]]
        return String(decoding: value.encoded(), as: UTF8.self)
    }

    /// What to do next, by kind of failure; the message itself names the specific fix where it knows one.
    static func fix(for code: ExitStatus) -> String {
        switch code {
        case .config: "correct the configuration, key or certificate named in the message, then run 'galsync check'"
        case .permission: "upload the certificate to the app registration and grant admin consent; 'galsync check' names what is missing"
        case .transient: "transient: galsync tries again at its next cycle; 'galsync status' shows what ran"
        case .cantCreate: "make the state folder (sync.state) writable by galsync, or point sync.state elsewhere"
        case .usage: "see 'galsync help'"
        case .partial: "'galsync status' names the mailboxes that failed and why"
        case .ok, .interrupted, .terminated: "run the command again"
        }
    }
}
