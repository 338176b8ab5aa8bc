import Foundation
import GalsyncRun
import GalsyncText

/// Prints a command's text output: on a terminal, long lines (Graph's reasons run to 500
/// characters) wrap to its width with a hanging indent; to a pipe or file, lines stay whole
/// for grep.
func printForPeople(_ text: String) {
    let terminal = Terminal.of(1)
    guard terminal.isTTY else { print(text); return }
    print(text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        let s = String(line)
        let lead = s.prefix { $0 == " " }.count
        return TextWrap.wrap(s, width: terminal.width, indent: String(repeating: " ", count: lead + 4))
    }.joined(separator: "\n"))
}
