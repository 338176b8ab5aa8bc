import Foundation
import Testing

/// galsync's logs in a real systemd-journald. `scripts/journald-check` starts a private one (in
/// its own mount and PID namespace), runs the service and one sync against the simulator the way
/// systemd does (stdout and stderr on a journal stream, JOURNAL_STREAM set), then a service cycle
/// that fails, and exports `journalctl -o json`. galsync's entries must carry the fields that
/// docs/operations.md (Logs) promises, and no token or key material may appear anywhere.
///
/// Needs root and Debian's systemd package (scripts/setup installs it); without them it fails
/// and says why. GALSYNC_SKIP_JOURNALD=1 skips it where neither can be had.
@Suite struct JournaldTests {
    static let skipped = ProcessInfo.processInfo.environment["GALSYNC_SKIP_JOURNALD"] == "1"

    /// One journal entry: each field with its values (a field may occur more than once).
    struct Entry {
        var fields: [String: [String]]
        subscript(_ name: String) -> String? { fields[name]?.first }
        var message: String { self["MESSAGE"] ?? "" }
    }

    @Test(.enabled(if: !JournaldTests.skipped, "GALSYNC_SKIP_JOURNALD=1 skips the journald test"))
    func entriesCarryTheDocumentedFieldsAndNoSecrets() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let galsync = CrashRecoveryTests.binary
        let simulator = URL(fileURLWithPath: galsync).deletingLastPathComponent().appendingPathComponent("galsync-sim").path
        let script = root.appendingPathComponent("scripts/journald-check").path
        let environment = ProcessInfo.processInfo.environment
        try #require(getuid() == 0, "the journald test needs root: it mounts a tmpfs on /run in a private namespace for its own systemd-journald (GALSYNC_SKIP_JOURNALD=1 skips it)")
        let journaldFound = ["/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(journaldFound || environment["GALSYNC_JOURNALD"] != nil,
                     "no systemd-journald: install Debian's systemd package (scripts/setup does), set GALSYNC_JOURNALD=PATH, or skip with GALSYNC_SKIP_JOURNALD=1")
        try #require(FileManager.default.isExecutableFile(atPath: galsync), "build the galsync executable first (scripts/test does)")
        try #require(FileManager.default.isExecutableFile(atPath: simulator), "build galsync-sim first (scripts/test does)")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-journald-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let journalFile = dir.appendingPathComponent("journal.json")
        let secretsFile = dir.appendingPathComponent("secrets.txt")
        let errorsFile = dir.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: errorsFile.path, contents: nil)
        let errorsHandle = try FileHandle(forWritingTo: errorsFile)
        let child = ChildProcess("/bin/bash", [script, galsync, simulator, journalFile.path, secretsFile.path])
        child.process.standardError = errorsHandle
        try child.start()
        let status = await child.wait()
        try? errorsHandle.close()
        let scriptErrors = (try? String(contentsOf: errorsFile, encoding: .utf8)) ?? ""
        try #require(status == 0, "scripts/journald-check exited \(status): \(scriptErrors)")

        let entries = try Self.parse(try Data(contentsOf: journalFile))
        let secrets = try String(contentsOf: secretsFile, encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.isEmpty }

        // galsync's log entries come through sd_journal_sendv (transport "journal"), which it uses
        // only when it recognised stderr as the journal stream; its stdout goes to the stream.
        let structured = entries.filter { $0["SYSLOG_IDENTIFIER"] == "galsync" && $0["_TRANSPORT"] == "journal" }
        let streamed = entries.filter { $0["SYSLOG_IDENTIFIER"] == "galsync" && $0["_TRANSPORT"] == "stdout" }
        try #require(!structured.isEmpty, "no galsync entry came through sd_journal_sendv (JOURNAL_STREAM not recognised?); entries: \(entries.map(\.message))")
        #expect(!streamed.contains(where: { $0.message.hasPrefix("galsync started") || $0.message.hasPrefix("cycle ") }),
                "log lines went to the stderr stream instead of sd_journal_sendv: \(streamed.map(\.message))")
        #expect(streamed.contains(where: { $0.message.hasPrefix("created ") }), "galsync sync's summary is not on the journal stream: \(streamed.map(\.message))")

        // Every entry: MESSAGE, PRIORITY, CODE_FILE, CODE_LINE, CODE_FUNC, each once.
        let sources = root.appendingPathComponent("Sources")
        var ownCallSites = 0
        for entry in structured {
            let priority = entry["PRIORITY"].flatMap { Int($0) }
            let line = entry["CODE_LINE"].flatMap { Int($0) }
            #expect(!entry.message.isEmpty, "no MESSAGE: \(entry.fields)")
            #expect(priority.map { (0...7).contains($0) } == true, "no PRIORITY 0...7: \(entry.fields)")
            #expect(entry["CODE_FILE"]?.isEmpty == false, "no CODE_FILE: \(entry.fields)")
            #expect(line.map { $0 > 0 } == true, "no CODE_LINE: \(entry.fields)")
            #expect(entry["CODE_FUNC"]?.isEmpty == false, "no CODE_FUNC: \(entry.fields)")
            #expect(entry.fields.values.allSatisfy { $0.count == 1 }, "a field given more than once: \(entry.fields)")
            // CODE_FILE is Module/File.swift: where it is one of galsync's, CODE_LINE is the logging call.
            if let file = entry["CODE_FILE"], let line,
               let text = try? String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8) {
                ownCallSites += 1
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                let call = lines.indices.contains(line - 1) ? String(lines[line - 1]) : ""
                #expect(call.contains("logger."), "\(file):\(line) is not a logging call (\(entry.message)): \(call)")
            }
        }
        #expect(ownCallSites > 0, "no entry's CODE_FILE is under Sources/: \(structured.map { $0["CODE_FILE"] ?? "-" })")

        // The service ran twice: both runs say so at info level, with the config and state paths.
        let started = structured.filter { $0.message == "galsync started" }
        let stopping = structured.filter { $0.message == "galsync stopping" }
        #expect(started.count == 2, "\(structured.map(\.message))")
        #expect(stopping.count == 2, "\(structured.map(\.message))")
        for entry in started + stopping { #expect(entry["PRIORITY"] == "6", "\(entry.fields)") }
        for entry in started {
            #expect(entry["GALSYNC_CONFIG"]?.hasSuffix("galsync.toml") == true, "\(entry.fields)")
            #expect(entry["GALSYNC_STATE"]?.hasSuffix("state.db") == true, "\(entry.fields)")
        }

        // The cycle summary: GALSYNC_CYCLE, and GALSYNC_COUNT = created + updated + deleted.
        let summary = try #require(structured.first(where: { $0.message.hasPrefix("cycle 1: created ") }), "no cycle summary: \(structured.map(\.message))")
        let changes = ["created", "updated", "deleted"].compactMap { Self.number(after: $0, in: summary.message) }
        #expect(summary["PRIORITY"] == "6")
        #expect(summary["GALSYNC_CYCLE"] == "1")
        #expect(changes.count == 3, "\(summary.message)")
        #expect(summary["GALSYNC_COUNT"] == "\(changes.reduce(0, +))", "\(summary.fields)")
        #expect(changes.reduce(0, +) > 0, "the first cycle wrote nothing: \(summary.message)")

        // Per-mailbox lines: the tenant has a user without a mailbox, logged as a warning; at
        // debug, each mailbox's plan and each operation (GALSYNC_OP, GALSYNC_USER) are logged too.
        let mailboxLines = structured.filter { $0["GALSYNC_MAILBOX"] != nil }
        try #require(!mailboxLines.isEmpty, "no entry with GALSYNC_MAILBOX: \(structured.map(\.message))")
        for entry in mailboxLines {
            #expect(entry["GALSYNC_CYCLE"] == "1", "\(entry.fields)")
            #expect(["4", "6", "7"].contains(entry["PRIORITY"]), "a mailbox line is a warning, a mailbox's result (info) or debug detail: \(entry.fields)")
            #expect(UUID(uuidString: entry["GALSYNC_MAILBOX"] ?? "") != nil, "GALSYNC_MAILBOX is not an object id: \(entry.fields)")
        }
        // A warning's message names the mailbox by UPN (`journalctl -p warning -o cat` shows no
        // fields), and GALSYNC_MAILBOX_UPN carries it beside the id.
        let skipped = mailboxLines.filter { $0["PRIORITY"] == "4" && $0.message.contains(": skipped: no Exchange Online mailbox") }
        #expect(!skipped.isEmpty && skipped.allSatisfy { e in e["GALSYNC_MAILBOX_UPN"].map { $0.contains("@") && e.message.hasPrefix($0 + ": ") } == true },
                "\(mailboxLines.map(\.fields))")
        // Info: one line per mailbox written to, named.
        let finished = mailboxLines.filter { $0["PRIORITY"] == "6" }
        #expect(!finished.isEmpty && finished.allSatisfy { $0.message.contains("@") && $0.message.contains(": created ") }, "\(finished.map(\.message))")
        let plans = mailboxLines.filter { $0.message.hasPrefix("planned ") }
        #expect(!plans.isEmpty && plans.allSatisfy { $0["PRIORITY"] == "7" && $0["GALSYNC_COUNT"] != nil }, "\(plans.map(\.fields))")
        let operations = mailboxLines.filter { $0["GALSYNC_OP"] != nil }
        #expect(operations.allSatisfy { $0["PRIORITY"] == "7" && UUID(uuidString: $0["GALSYNC_USER"] ?? "") != nil }, "\(operations.prefix(3).map(\.fields))")
        let createdLines = operations.filter { $0["GALSYNC_OP"] == "create" && $0["GALSYNC_STATUS"] == "201" }.count
        #expect(createdLines == changes.first, "one debug line per contact created: \(createdLines) lines, summary \(summary.message)")

        // The failed cycle (the app lost its permissions): an error with the exit code sync would give.
        let failed = try #require(structured.first(where: { $0["GALSYNC_ERROR_CODE"] != nil }), "no entry with GALSYNC_ERROR_CODE: \(structured.map(\.message))")
        #expect(failed["GALSYNC_ERROR_CODE"] == "77", "\(failed.fields)")
        #expect(failed["GALSYNC_CYCLE"] == "1", "\(failed.fields)")
        #expect(failed["PRIORITY"] == "3", "\(failed.fields)")
        #expect(failed.message.hasPrefix("cycle 1 failed: "), "\(failed.message)")

        // Levels: the first run had --log-level debug, so ServiceLifecycle's debug lines are there
        // (PRIORITY 7); the second ran at the default, info, so none of its entries is debug.
        let lifecycle = structured.filter { $0["CODE_FILE"]?.hasPrefix("ServiceLifecycle/") == true }
        #expect(!lifecycle.isEmpty, "no debug entries at --log-level debug")
        #expect(lifecycle.allSatisfy { $0["PRIORITY"] == "7" }, "\(lifecycle.map(\.fields))")
        #expect(lifecycle.contains(where: { $0["GALSYNC_SL_SIGNAL"] == "SIGTERM" }), "\(lifecycle.map(\.message))")
        let secondRun = try #require(failed["_PID"])
        #expect(!structured.contains(where: { $0["_PID"] == secondRun && $0["PRIORITY"] == "7" }), "the run at log level info logged debug entries")

        // No secret anywhere, in any entry (journald's own, the stream's, galsync's): nothing
        // shaped like a JWT, no PEM, and none of the tokens, client assertions (whole or any part)
        // and private key lines that passed by.
        let tokens = secrets.filter { $0.hasPrefix("eyJ") }
        try #require(tokens.count >= 2, "the proxy recorded no access token or client assertion: \(secrets.count) secrets")
        try #require(secrets.count > tokens.count, "no private key lines among the secrets")
        var needles = Set(secrets)
        for token in tokens {
            for part in token.split(separator: ".") where part.count >= 16 { needles.insert(String(part)) }
        }
        for entry in entries {
            for (name, values) in entry.fields {
                for value in values {
                    #expect(!Self.containsJWS(value), "\(name) holds a JWT: \(value)")
                    #expect(!value.contains("BEGIN"), "\(name) holds PEM: \(value)")
                    #expect(!value.contains("PRIVATE KEY"), "\(name) holds PEM: \(value)")
                    for needle in needles where value.contains(needle) {
                        Issue.record("\(name) holds a secret (\(needle.prefix(12))…): \(value)")
                    }
                }
            }
        }
    }

    /// `journalctl -o json` output, one entry a line.
    static func parse(_ data: Data) throws -> [Entry] {
        var entries: [Entry] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            let object = try JSONSerialization.jsonObject(with: Data(line))
            let fields = try #require(object as? [String: Any], "not a JSON object: \(String(decoding: line, as: UTF8.self))")
            var entry = Entry(fields: [:])
            for (name, value) in fields {
                guard let values = Self.values(value) else { throw TestFailure("\(name) has a value journalctl does not give: \(value)") }
                entry.fields[name] = values
            }
            entries.append(entry)
        }
        return entries
    }

    /// A field's values as journalctl's JSON gives them: a string; an array of byte values (a
    /// value that is not printable UTF-8); or an array of those when the field occurs more than
    /// once. nil for anything else, such as null for a field too long to show without --all.
    static func values(_ value: Any) -> [String]? {
        if let string = value as? String { return [string] }
        guard let array = value as? [Any] else { return nil }
        if let raw = Self.bytes(array) { return [String(decoding: raw, as: UTF8.self)] }
        var out: [String] = []
        for element in array {
            if let string = element as? String {
                out.append(string)
            } else if let list = element as? [Any], let raw = Self.bytes(list) {
                out.append(String(decoding: raw, as: UTF8.self))
            } else {
                return nil
            }
        }
        return out
    }

    static func bytes(_ array: [Any]) -> [UInt8]? {
        var out: [UInt8] = []
        for element in array {
            if let int = element as? Int, let byte = UInt8(exactly: int) {
                out.append(byte)
            } else if let number = element as? NSNumber, let byte = UInt8(exactly: number.intValue) {
                out.append(byte)
            } else {
                return nil
            }
        }
        return out
    }

    /// The number after `word ` in `text` ("created 361, …" → 361).
    static func number(after word: String, in text: String) -> Int? {
        guard let range = text.range(of: word + " ") else { return nil }
        return Int(text[range.upperBound...].prefix(while: \.isNumber))
    }

    /// True when `text` holds something shaped like a JWS (a JWT): `eyJ` and base64url (the JSON
    /// header), a dot, base64url, a dot. A bare `eyJ` is not enough: the simulator's delta tokens
    /// are base64url JSON too, and a failed request's URL in a log line may show one.
    static func containsJWS(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func base64url(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
        var i = 0
        while i + 3 <= b.count {
            if b[i] == UInt8(ascii: "e"), b[i + 1] == UInt8(ascii: "y"), b[i + 2] == UInt8(ascii: "J") {
                var j = i + 3
                while j < b.count, base64url(b[j]) { j += 1 }
                if j < b.count, b[j] == UInt8(ascii: ".") {
                    var k = j + 1
                    while k < b.count, base64url(b[k]) { k += 1 }
                    if k > j + 1, k < b.count, b[k] == UInt8(ascii: ".") { return true }
                }
            }
            i += 1
        }
        return false
    }
}
