import Foundation
import GalsyncConfig
import GalsyncCrypto
import GalsyncJSON
import SyncStore

/// The status snapshot that lets members of the `galsync` group run `galsync status` without
/// root. The state database stays root's (0600, and under `DynamicUser=` behind
/// `/var/lib/private`, 0700 root); after every recorded cycle the service and a one-off `sync`
/// write `status.json`, mode 0640, group `galsync` when that group exists: `StatusReport`'s JSON
/// and its text (unwrapped), what it describes (the state's path) and when and by whom it was
/// written. `status` run by someone who cannot read the state shows it, saying how old it is.
///
/// Where: next to the state database always; in the unit's runtime directory
/// (`$RUNTIME_DIRECTORY`, `/run/galsync`, group `galsync`, 0750) too, which group members can
/// reach. A one-off `sync` run by root also replaces `/run/galsync/status.json` when that file
/// describes the same state, so members do not read the service's older snapshot.
public struct StatusFile: Sendable {
    public static let fileName = "status.json"

    /// The file's name in the runtime folder: one per tenant when there are several
    /// (`status-NAME.json`), since they share the service's folder.
    public static func fileName(tenant: String) -> String { tenant.isEmpty ? fileName : "status-\(tenant).json" }
    /// The operators' group the package creates.
    public static let groupName = "galsync"
    /// The unit's `RuntimeDirectory=galsync`, for readers outside the unit.
    public static let runtimeDirectory = "/run/galsync"

    /// The state database it describes.
    public var state: String
    public var written: Date
    /// The process that wrote it, and its command (`galsync run`, `galsync sync`).
    public var writerPid: Int32
    public var writerCommand: String
    /// `sync.interval`: how old the file may be before `--check` calls it stale.
    public var interval: TimeInterval
    /// `StatusReport.json` and `StatusReport.text` as they were when written (text unwrapped).
    public var report: JSONValue
    public var text: String

    public init(report: StatusReport, unwrappedText: String, state: String, interval: TimeInterval, written: Date = Date(),
                writerPid: Int32 = getpid(), writerCommand: String = StatusFile.ownCommand()) {
        self.report = report.json
        self.text = unwrappedText
        self.state = state
        self.interval = interval
        self.written = written
        self.writerPid = writerPid
        self.writerCommand = writerCommand
    }

    var json: JSONValue {
        ["format": 1, "state": .string(state), "written": .string(ISO8601DateFormatter().string(from: written)),
         "written_s": .number(written.timeIntervalSince1970.rounded()), "writer": ["pid": .number(Double(writerPid)), "command": .string(writerCommand)],
         "interval_s": .number(interval), "report": report, "text": .string(text)]
    }

    init?(json: JSONValue) {
        guard json["format"]?.numberValue == 1, let state = json["state"]?.stringValue, let written = json["written_s"]?.numberValue,
              let report = json["report"], report.objectValue != nil, let text = json["text"]?.stringValue else { return nil }
        self.state = state
        self.written = Date(timeIntervalSince1970: written)
        self.writerPid = json["writer"]?["pid"]?.numberValue.flatMap { Int32(exactly: $0) } ?? 0
        self.writerCommand = json["writer"]?["command"]?.stringValue ?? "galsync"
        self.interval = json["interval_s"]?.numberValue ?? 900
        self.report = report
        self.text = text
    }

    /// `galsync run` for this process (what the lock holder's name would be).
    public static func ownCommand() -> String {
        let argv = CommandLine.arguments
        let program = argv.first.map { ($0 as NSString).lastPathComponent } ?? "galsync"
        guard let sub = argv.dropFirst().first, !sub.hasPrefix("-") else { return program }
        return "\(program) \(sub)"
    }

    // MARK: Where

    /// The runtime directory: the unit's `$RUNTIME_DIRECTORY` (its first entry), else nil.
    static func unitRuntimeDirectory(_ environment: [String: String]) -> String? {
        environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first.map(String.init)
    }

    /// Where readers look, in order: next to the state, then the runtime directory.
    public static func candidates(statePath: String, tenant: String = "", environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let folder = (statePath as NSString).deletingLastPathComponent
        var out = [(folder.isEmpty ? "." : folder) + "/" + fileName]
        let runtime = (unitRuntimeDirectory(environment) ?? runtimeDirectory) + "/" + fileName(tenant: tenant)
        if !out.contains(runtime) { out.append(runtime) }
        return out
    }

    // MARK: Writing

    /// Builds the report from `store` and writes the file wherever it belongs; returns the
    /// paths written. `running` is the service itself (nil for a one-off command, which has
    /// ended by the time anyone reads the file). `group`: the group given read access.
    @discardableResult
    public static func write(config: Configuration, store: StateStore, running: StateLockHolder?, now: Date = Date(),
                             environment: [String: String] = ProcessInfo.processInfo.environment, group: String = groupName) throws -> [String] {
        // Unwrapped: the reader wraps to its own terminal.
        let report = try StatusReport(config: config, store: store, running: running, width: 1_000_000, now: now)
        let file = StatusFile(report: report, unwrappedText: report.text, state: config.sync.state, interval: config.sync.interval, written: now)
        let data = file.json.encoded()
        let gid = groupID(group)
        var targets = [candidates(statePath: config.sync.state, tenant: config.name, environment: environment)[0]]
        if let dir = unitRuntimeDirectory(environment) {
            targets.append(dir + "/" + fileName(tenant: config.name))
        } else {
            // Outside the unit (root's one-off sync): the service's copy, only when it describes this state.
            let shared = runtimeDirectory + "/" + fileName(tenant: config.name)
            if let existing = FileManager.default.contents(atPath: shared).flatMap(JSONValue.parse).flatMap(StatusFile.init(json:)),
               existing.state == config.sync.state {
                targets.append(shared)
            }
        }
        var errors: [String] = []
        var written: [String] = []
        for path in targets where !written.contains(path) {
            do {
                try SecretFile.write(data, to: path, mode: 0o640)
                // The group may read it; without the group (or when this process may not give
                // it, not being a member) the file stays owner-only.
                // lchown: a symlink put in the file's place is not followed to another file.
                if let gid { _ = lchown(path, uid_t.max, gid) }
                written.append(path)
            } catch {
                errors.append("\(error)")
            }
        }
        if written.isEmpty, !errors.isEmpty { throw StatusFileError(description: errors.joined(separator: "; ")) }
        return written
    }

    struct StatusFileError: Error, CustomStringConvertible { let description: String }

    /// The group's id, or nil when the group does not exist.
    static func groupID(_ name: String) -> gid_t? {
        var group = Foundation.group()
        var result: UnsafeMutablePointer<Foundation.group>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getgrnam_r(name, &group, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return group.gr_gid
    }

    // MARK: Reading

    /// The newest readable file that describes `statePath`, with its path; or, when there is
    /// none, why not for each place looked at ("/run/galsync/status.json: permission denied").
    public static func read(statePath: String, tenant: String = "", environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<(StatusFile, String), ReadFailure> {
        var best: (StatusFile, String)?
        var problems: [String] = []
        for path in candidates(statePath: statePath, tenant: tenant, environment: environment) {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                let e = errno
                problems.append("\(path): \(e == ENOENT ? "none" : String(cString: strerror(e)).lowercased())")
                continue
            }
            let data = (try? handle.readToEnd()) ?? Data()
            try? handle.close()
            guard let file = JSONValue.parse(data).flatMap(StatusFile.init(json:)) else { problems.append("\(path): not a galsync status file"); continue }
            guard file.state == statePath else { problems.append("\(path): describes another state (\(file.state))"); continue }
            if best == nil || file.written > best!.0.written { best = (file, path) }
        }
        if let best { return .success(best) }
        return .failure(ReadFailure(problems: problems))
    }

    public struct ReadFailure: Error, Sendable, CustomStringConvertible {
        public let problems: [String]
        public var description: String { problems.joined(separator: "; ") }
    }

    /// True when this user may not read the state database (permission, not absence): not
    /// root, and not its owner. `status` then reads the status file instead.
    public static func cannotRead(_ statePath: String) -> Bool {
        guard access(statePath, R_OK) != 0 else { return false }
        return errno == EACCES || errno == EPERM
    }

    /// What `status` says when neither the state nor a status file can be read.
    public static func unreadable(statePath: String, failure: ReadFailure) -> (message: String, fix: String) {
        let user = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "USER"
        return ("cannot read the state \(statePath) (permission denied) nor a status file (\(failure))",
                "run 'galsync status' as root, or as a member of the \(groupName) group: 'adduser \(user) \(groupName)' as root, then log in again")
    }

    /// The contract's error object, `{"error": {"code": .., "message": .., "fix": ..}}`.
    public static func errorObject(code: Int32, message: String, fix: String) -> String {
        let value: JSONValue = ["error": ["code": .number(Double(code)), "message": .string(message), "fix": .string(fix)]]
        return String(decoding: value.encoded(), as: UTF8.self)
    }

    /// `status --check --json`'s object, as `StatusReport.json["health"]`.
    public static func healthJSONText(_ health: StatusHealth) -> String {
        let value: JSONValue = ["code": .number(Double(health.level.rawValue)), "status": .string(health.level.word), "message": .string(health.line)]
        return String(decoding: value.encoded(), as: UTF8.self)
    }

    /// `json(path:)` as text.
    public func jsonText(path: String, now: Date = Date()) -> String { String(decoding: json(path: path, now: now).encoded(), as: UTF8.self) }

    // MARK: Showing

    /// True while the process that wrote the file still runs (pid reuse aside).
    public var writerAlive: Bool { writerPid > 0 && (kill(writerPid, 0) == 0 || errno == EPERM) }

    /// The first line `status` prints: "from the status file written 2 min ago; run as root for live state".
    public func header(path: String, now: Date = Date()) -> String {
        var line = "from the status file written \(Ago.text(now.timeIntervalSince(written))) ago (\(path)); run as root for live state"
        if report["running"]?.isNull == false, !writerAlive {
            line += "\nthe \(writerCommand) that wrote it (pid \(writerPid)) is no longer running"
        }
        return line
    }

    /// The snapshot's text wrapped to `width`, under its header.
    public func text(path: String, width: Int, now: Date = Date()) -> String {
        header(path: path, now: now) + "\n" + StatusReport.wrap(text, width: width)
    }

    /// The report's JSON with where it came from: `"status_file": {"path", "written", "age_s"}`.
    public func json(path: String, now: Date = Date()) -> JSONValue {
        var object = report.objectValue ?? [:]
        object["status_file"] = ["path": .string(path), "written": .string(ISO8601DateFormatter().string(from: written)),
                                 "age_s": .number(now.timeIntervalSince(written).rounded()), "writer_running": .bool(writerAlive)]
        return .object(object)
    }

    /// `--check` from the file: the health it recorded, CRITICAL when it is older than the
    /// window in which a cycle must succeed (3 × `sync.interval`, at least 1 h: nothing has
    /// written it since, so no cycle has run).
    public func health(now: Date = Date()) -> StatusHealth {
        let age = now.timeIntervalSince(written)
        let window = max(3 * interval, 3600)
        if age > window {
            return StatusHealth(level: .critical, reasons: ["the status file has not been updated for \(Ago.text(age)) (limit \(Ago.text(window))): no cycle has ended since; is the service running?"])
        }
        let code = report["health"]?["code"]?.numberValue.flatMap { Int32(exactly: $0).flatMap(StatusHealth.Level.init(rawValue:)) } ?? .unknown
        var line = report["health"]?["message"]?.stringValue ?? "GALSYNC UNKNOWN: the status file has no health"
        if let colon = line.range(of: ": ") { line = String(line[colon.upperBound...]) }
        return StatusHealth(level: code, reasons: [line + " (status file, \(Ago.text(age)) old)"])
    }
}
