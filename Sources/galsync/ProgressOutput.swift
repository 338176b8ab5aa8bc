import Foundation
import GalsyncRun
import GalsyncText
import Logging
import Synchronization

/// Where a one-shot command shows its progress: on a terminal, one line on stderr redrawn
/// twice a second (stdout stays for the summary and `--json`); off a terminal, nothing extra
/// on stdout, an info line every 30 s (seen with `--log-level info`).
final class ProgressOutput: Sendable {
    let terminal: Terminal
    let logger: Logger
    private let drawn = Mutex(false)

    init(logger: Logger, terminal: Terminal = .of(2)) {
        self.logger = logger
        self.terminal = terminal
    }

    var reporting: CycleRunner.ProgressReporting {
        if terminal.isTTY {
            return .init(every: .milliseconds(500)) { [self] line in draw(line) }
        }
        return .init(every: .seconds(30)) { [logger] line in logger.info("\(line)") }
    }

    /// The line, cut to the terminal's width, over the previous one.
    func draw(_ line: String) {
        let text = String(SafeText.line(line).prefix(max(10, terminal.width - 1)))
        let clear = terminal.ansi ? "\u{1B}[K" : String(repeating: " ", count: max(0, terminal.width - 1 - text.count))
        FileHandle.standardError.write(Data(("\r" + text + clear).utf8))
        drawn.withLock { $0 = true }
    }

    /// Removes the line, so the summary starts on a clean one.
    func finish() {
        guard drawn.withLock({ $0 }) else { return }
        let clear = terminal.ansi ? "\r\u{1B}[K" : "\r" + String(repeating: " ", count: max(0, terminal.width - 1)) + "\r"
        FileHandle.standardError.write(Data(clear.utf8))
    }
}
