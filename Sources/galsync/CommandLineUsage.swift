import ArgumentParser
import Foundation
import GalsyncCore

/// Usage errors swift-argument-parser leaves to us: a command group named without a command
/// (`galsync`, `galsync cert`) prints its help and exits 64, not 0, so a script that forgot
/// the command fails; a mistyped command (`galsync sycn`) is named with the nearest one
/// ("did you mean 'sync'?") instead of the parser's bare "Unexpected argument".
enum CommandLineUsage {
    /// The help of `command` on stderr, then EX_USAGE (64).
    static func helpThenUsageError(_ command: ParsableCommand.Type) -> ExitCode {
        FileHandle.standardError.write(Data((Galsync.helpMessage(for: command) + "\n").utf8))
        return ExitCode(ExitStatus.usage.rawValue)
    }

    /// The message for a command word that names no command, or nil when the arguments are
    /// the parser's to judge. Walks the words before the first option down the command tree;
    /// a word under a command that has subcommands must name one of them.
    static func unknownCommand(_ arguments: [String], root: ParsableCommand.Type = Galsync.self) -> String? {
        var command = root
        var path = [root._commandName]
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !word.hasPrefix("-"), !subcommands.isEmpty else { return nil }
            if let next = subcommands.first(where: { $0._commandName == word || $0.configuration.aliases.contains(word) }) {
                command = next
                path.append(word)
                continue
            }
            if path.count == 1, word == "help" { return nil }  // the parser's own `galsync help …`
            let names = subcommands.filter { $0.configuration.shouldDisplay }.map { $0._commandName }
            let hint = nearest(word, names).map { "; did you mean '\($0)'?" } ?? ""
            let group = path.joined(separator: " ")
            return """
                Error: '\(word)' is not a '\(group)' command\(hint)
                Commands: \(names.joined(separator: ", "))
                Usage: \(group) <subcommand>
                  See '\(group) --help' for more information.
                """
        }
        return nil
    }

    /// The one name `word` is a slip for: a name it begins (two letters at least), else the
    /// name within an edit or two (one for short words) when no other is as near.
    static func nearest(_ word: String, _ names: [String]) -> String? {
        let prefixed = names.filter { word.count >= 2 && $0.hasPrefix(word.lowercased()) }
        if prefixed.count == 1 { return prefixed[0] }
        let scored = names.map { ($0, distance(word, $0)) }.sorted { $0.1 < $1.1 }
        guard let best = scored.first, best.1 <= (word.count < 6 ? 1 : 2) else { return nil }
        return scored.dropFirst().first?.1 == best.1 ? nil : best.0
    }

    /// Edits to turn `a` into `b`: insertions, deletions, substitutions, and swaps of two
    /// neighbours (a typist's most common slip: "sycn" is one edit from "sync").
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
