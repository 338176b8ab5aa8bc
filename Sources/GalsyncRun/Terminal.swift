import Foundation

/// What a command may do on its output: a terminal gets width-aware text and a live progress
/// line; a pipe, a file or the journal gets plain lines. ANSI control sequences only on a
/// terminal that is not `TERM=dumb`, and never with `NO_COLOR` set (no-color.org).
public struct Terminal: Sendable, Equatable {
    public var isTTY: Bool
    public var width: Int
    public var ansi: Bool

    public init(isTTY: Bool, width: Int, ansi: Bool) {
        self.isTTY = isTTY
        self.width = width
        self.ansi = ansi
    }

    /// File descriptor `fd` as it is now, with `environment` for TERM, NO_COLOR and COLUMNS.
    public static func of(_ fd: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
        let tty = isatty(fd) == 1
        var size = winsize()
        var width = Int(environment["COLUMNS"] ?? "") ?? 0
        if width <= 0, tty, ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { width = Int(size.ws_col) }
        if width <= 0 { width = 100 }
        let term = environment["TERM"] ?? ""
        return Terminal(isTTY: tty, width: width, ansi: tty && term != "dumb" && !term.isEmpty && environment["NO_COLOR"] == nil)
    }
}
