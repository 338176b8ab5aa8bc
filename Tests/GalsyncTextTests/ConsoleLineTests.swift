import Foundation
import Logging
@testable import SystemdSupport
import Testing

/// Console lines off the journal: a person reads time and level words; systemd's `<N>` prefix
/// only where systemd reads the pipe. A one-shot command's failure is an error-priority entry
/// under the journal.
@Suite struct ConsoleLineTests {
    static func event(_ level: Logger.Level, _ message: String, metadata: Logger.Metadata = [:]) -> LogEvent {
        LogEvent(level: level, message: "\(message)", metadata: metadata, source: nil, file: "f.swift", function: "f()", line: 1)
    }

    static let utc = TimeZone(identifier: "UTC")!
    /// 2026-12-05 10:02:03 UTC.
    static let time = Date(timeIntervalSince1970: 1_796_464_923)

    @Test func aTerminalGetsLocalTimeAndLevelWords() {
        let handler = ConsoleLogHandler(style: .readable)
        #expect(handler.line(for: Self.event(.warning, "alice@contoso.com: skipped: no Exchange Online mailbox", metadata: ["cycle": "7"]), time: Self.time, timeZone: Self.utc)
                == "2026-12-05 10:02:03 warning: alice@contoso.com: skipped: no Exchange Online mailbox cycle=7\n")
        #expect(handler.line(for: Self.event(.info, "cycle 7: created 3"), time: Self.time, timeZone: TimeZone(secondsFromGMT: 3600)!)
                == "2026-12-05 11:02:03 info: cycle 7: created 3\n")
    }

    @Test func systemdPipesGetThePriorityPrefix() {
        let handler = ConsoleLogHandler(style: .priorityPrefix)
        #expect(handler.line(for: Self.event(.warning, "w"), time: Self.time) == "<4>w\n")
        #expect(handler.line(for: Self.event(.error, "e"), time: Self.time) == "<3>e\n")
    }

    /// A terminal never gets `<N>`, even under systemd (`systemd-run --pty`); a pipe gets it
    /// only under systemd; a file or pipe elsewhere (cron, `2>log`) gets readable lines.
    @Test func theStyleFollowsWhereStderrGoes() {
        typealias Style = ConsoleLogHandler.Style
        #expect(Style.forStderr(environment: [:], terminal: true) == .readable)
        #expect(Style.forStderr(environment: ["INVOCATION_ID": "abc"], terminal: true) == .readable)
        #expect(Style.forStderr(environment: ["INVOCATION_ID": "abc"], terminal: false) == .priorityPrefix)
        #expect(Style.forStderr(environment: ["JOURNAL_STREAM": "8:1234"], terminal: false) == .priorityPrefix)
        #expect(Style.forStderr(environment: [:], terminal: false) == .readable)
    }

    /// Records what reaches it.
    final class Capture: @unchecked Sendable {
        var events: [(Logger.Level, String, Logger.Metadata?)] = []
    }
    struct CapturingHandler: LogHandler {
        let capture: Capture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .critical
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { capture.events.append((event.level, "\(event.message)", event.metadata)) }
    }

    /// Under the journal, `galsync sync`'s failure is an entry at priority error (3), whatever
    /// `--log-level` said; elsewhere it is the plain line, `<3>` first for systemd's pipe.
    @Test func aCommandsFailureIsAnErrorEntry() {
        let capture = Capture()
        GalsyncLogging.logFailure("galsync sync: cannot connect to graph.microsoft.com:443 (connection refused)", metadata: ["exit_status": "75"],
                                  to: CapturingHandler(capture: capture))
        #expect(capture.events.count == 1)
        #expect(capture.events.first?.0 == .error)
        #expect(capture.events.first?.1 == "galsync sync: cannot connect to graph.microsoft.com:443 (connection refused)")
        #expect(capture.events.first?.2?["exit_status"] == "75")
        let fields = JournalLogHandler().fields(for: Self.event(.error, "galsync sync: x", metadata: ["exit_status": "75"]))
        #expect(fields.contains("PRIORITY=3") && fields.contains("GALSYNC_EXIT_STATUS=75"), "\(fields)")

        #expect(GalsyncLogging.failureLine("galsync sync: x", style: .readable) == "galsync sync: x\n")
        #expect(GalsyncLogging.failureLine("galsync sync: x\n  y", style: .priorityPrefix) == "<3>galsync sync: x\n<3>  y\n")
    }
}
