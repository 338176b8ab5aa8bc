import Foundation
import GalsyncText
import Logging

/// Log lines on stderr when the journal is not there: with systemd's `<N>` priority prefix
/// when stderr is a pipe or file (so a plain `StandardError=journal` still gets levels), or
/// readable lines with a time on a terminal. Metadata goes along as `key=value`.
public struct ConsoleLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let terminal: Bool

    public init() { terminal = isatty(2) == 1 }

    init(terminal: Bool) { self.terminal = terminal }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        FileHandle.standardError.write(Data(line(for: event, time: Date()).utf8))
    }

    /// The line written for `event`. Message and metadata values often quote a server's text
    /// (a display name, an error message): each is one line without control characters
    /// (`SafeText.line`), so an ESC sequence cannot reach the terminal nor a newline forge a line.
    func line(for event: LogEvent, time: Date) -> String {
        let all = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        let tail = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\(SafeText.line("\($0.value)"))" }.joined(separator: " ")
        let message = SafeText.line("\(event.message)")
        if terminal {
            return "\(ISO8601DateFormatter().string(from: time)) \(event.level.rawValue.uppercased()) \(message)\(tail)\n"
        }
        return "<\(JournalLogHandler.priority(event.level))>\(message)\(tail)\n"
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
}
