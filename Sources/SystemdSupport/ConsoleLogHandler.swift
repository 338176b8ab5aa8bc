import Foundation
import Logging

/// Log lines on stderr when the journal is not there: with systemd's `<N>` priority prefix
/// when stderr is a pipe or file (so a plain `StandardError=journal` still gets levels), or
/// readable lines with a time on a terminal. Metadata goes along as `key=value`.
public struct ConsoleLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let terminal: Bool

    public init() { terminal = isatty(2) == 1 }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        let tail = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line: String
        if terminal {
            let time = ISO8601DateFormatter().string(from: Date())
            line = "\(time) \(event.level.rawValue.uppercased()) \(event.message)\(tail)\n"
        } else {
            line = "<\(JournalLogHandler.priority(event.level))>\(event.message)\(tail)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
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
