import CSystemd
import Foundation
import GalsyncText
import Logging

/// A swift-log handler that writes structured entries to the systemd journal with
/// `sd_journal_sendv`: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, CODE_FILE/LINE/FUNC, and every
/// metadata key as an upper-case field (`mailbox` → `GALSYNC_MAILBOX`), so that
/// `journalctl -u galsync GALSYNC_MAILBOX=…` finds one mailbox's story.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let identifier: String

    public init(identifier: String = "galsync") { self.identifier = identifier }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) { Self.send(fields(for: event)) }

    /// The journal fields for `event`. MESSAGE and metadata values often quote a server's text:
    /// each is one line without control characters (`SafeText.line`), so `journalctl` shows no
    /// ESC sequence and a newline cannot pass for a second entry in its plain output.
    func fields(for event: LogEvent) -> [String] {
        var fields = [
            "MESSAGE=\(SafeText.line("\(event.message)"))", "PRIORITY=\(Self.priority(event.level))", "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)", "CODE_LINE=\(event.line)", "CODE_FUNC=\(event.function)",
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields.append("\(Self.fieldName(key))=\(SafeText.line("\(value)"))")
        }
        return fields
    }

    /// `mailbox` → `GALSYNC_MAILBOX`; journal field names are A–Z, 0–9 and _.
    static func fieldName(_ key: String) -> String {
        "GALSYNC_" + key.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func send(_ fields: [String]) {
        var cStrings = fields.map { strdup($0)! }
        defer { cStrings.forEach { free($0) } }
        var iov = cStrings.map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: strlen($0)) }
        _ = sd_journal_sendv(&iov, Int32(iov.count))
    }

    /// True when stderr is connected to the journal (systemd's `JOURNAL_STREAM` = device:inode of stderr).
    public static var stderrIsJournal: Bool {
        guard let stream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return stream == "\(st.st_dev):\(st.st_ino)"
    }
}
