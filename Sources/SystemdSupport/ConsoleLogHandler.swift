import Foundation
import GalsyncText
import Logging

/// Log lines on stderr when the journal is not there. On a terminal, and wherever else a
/// person reads them (a file, a pipe, cron's mail), readable lines: local time, level word,
/// message, metadata as `key=value` (`2026-12-05 10:02:03 warning: … mailbox=…`). Only when
/// stderr is a pipe or file under systemd (a unit's `INVOCATION_ID` or `JOURNAL_STREAM` is set,
/// yet stderr is not that stream), systemd's `<N>` priority prefix instead, which journald
/// reads as the line's level and strips.
public struct ConsoleLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let style: Style

    /// How a line is written.
    public enum Style: Sendable, Equatable {
        /// `2026-12-05 10:02:03 warning: message key=value`
        case readable
        /// `<4>message key=value`, for journald reading a pipe.
        case priorityPrefix

        /// The style for this process's stderr: the prefix only when stderr is no terminal and
        /// the process runs under systemd (which then reads the prefix), readable otherwise.
        public static func forStderr(environment: [String: String] = ProcessInfo.processInfo.environment, terminal: Bool = isatty(2) == 1) -> Style {
            if terminal { return .readable }
            return environment["INVOCATION_ID"] != nil || environment["JOURNAL_STREAM"] != nil ? .priorityPrefix : .readable
        }
    }

    public init() { style = Style.forStderr() }

    init(style: Style) { self.style = style }

    init(terminal: Bool) { self.style = terminal ? .readable : .priorityPrefix }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        FileHandle.standardError.write(Data(line(for: event, time: Date()).utf8))
    }

    /// `2026-12-05 10:02:03` in this machine's time zone (what `date` shows next to it).
    static func timestamp(_ time: Date, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: time)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)):\(two(c.second))"
    }

    /// The line written for `event`. Message and metadata values often quote a server's text
    /// (a display name, an error message): each is one line without control characters
    /// (`SafeText.line`), so an ESC sequence cannot reach the terminal nor a newline forge a line.
    func line(for event: LogEvent, time: Date, timeZone: TimeZone = .current) -> String {
        let all = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        let tail = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\(SafeText.line("\($0.value)"))" }.joined(separator: " ")
        let message = SafeText.line("\(event.message)")
        switch style {
        case .readable: return "\(Self.timestamp(time, timeZone: timeZone)) \(event.level.rawValue): \(message)\(tail)\n"
        case .priorityPrefix: return "<\(JournalLogHandler.priority(event.level))>\(message)\(tail)\n"
        }
    }
}

/// The handler galsync logs through: the journal when stderr is the journal, else the console.
public enum GalsyncLogging {
    public static func bootstrap(level: Logger.Level) {
        let journal = JournalLogHandler.stderrIsJournal
        LoggingSystem.bootstrap { _ in
            if journal {
                var h = JournalLogHandler()
                h.logLevel = level
                return h
            }
            var h = ConsoleLogHandler()
            h.logLevel = level
            return h
        }
    }

    /// Where a command's final failure goes.
    public enum FailureSink: Sendable, Equatable {
        /// A journal entry at priority error (3), with the metadata as fields.
        case journal
        /// One line on stderr, with `<3>` when systemd reads the pipe.
        case stderr(ConsoleLogHandler.Style)

        public static var current: FailureSink { JournalLogHandler.stderrIsJournal ? .journal : .stderr(.forStderr()) }
    }

    /// Reports the failure that ends a one-shot command (`galsync sync: cannot connect to …`):
    /// under the journal as an entry at priority error, whatever `--log-level` says, so that
    /// `journalctl -p err` shows why a timer's `galsync sync` failed; elsewhere as one line on
    /// stderr (`<3>` first when systemd reads the pipe). `metadata` becomes journal fields
    /// (`exit_status` → `GALSYNC_EXIT_STATUS`).
    public static func reportFailure(_ message: String, metadata: [String: String] = [:], to sink: FailureSink = .current) {
        switch sink {
        case .journal:
            logFailure(message, metadata: metadata, to: JournalLogHandler())
        case .stderr(let style):
            FileHandle.standardError.write(Data(failureLine(message, style: style).utf8))
        }
    }

    /// Logs `message` at error through `handler`, whatever level the command was given.
    static func logFailure(_ message: String, metadata: [String: String], to handler: some LogHandler) {
        var logger = Logger(label: "galsync") { _ in handler }
        logger.logLevel = .trace
        logger.error("\(message)", metadata: metadata.mapValues { .string($0) })
    }

    /// The stderr text for a command's failure: the text as it is (the last word, read at
    /// once), each line with `<3>` first when systemd reads the pipe.
    static func failureLine(_ message: String, style: ConsoleLogHandler.Style) -> String {
        guard style == .priorityPrefix else { return message + "\n" }
        return message.split(separator: "\n", omittingEmptySubsequences: false).map { "<3>\($0)\n" }.joined()
    }
}
