import Foundation
import GalsyncConfig
import GalsyncPlan
import GalsyncSources
import SyncStore

/// How many users each `where` rule keeps, counted on the directory snapshot in the state
/// (no Graph request): what `check` prints, so an operator sees a rule's effect before a
/// sync acts on it. A snapshot read before the rule named a property cannot be counted
/// fairly: the line says the next cycle reads it.
public struct WhereCounts: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var key: String
        public var rule: String
        /// nil when the snapshot cannot tell (no state yet, or it lacks a property the rule reads).
        public var kept: Int?
        public var of: Int
        public var note: String?
    }

    public var lines: [Line]

    /// The properties `config`'s rules read that the snapshot (read with `savedSelect`) lacks.
    public static func unread(_ config: Configuration, savedSelect: String?) -> [String] {
        let have = Set((savedSelect ?? "").split(separator: ",").map(String.init))
        return SyncScope.extraProperties(config).subtracting(have).sorted()
    }

    public init(config: Configuration, users: [String: DirectoryUser]?, savedSelect: String?) {
        var lines: [Line] = []
        let missing = Self.unread(config, savedSelect: savedSelect)
        for (key, rule) in [("directory.where", config.directory.where), ("mailboxes.where", config.mailboxes.where)] {
            guard let rule else { continue }
            guard let users, !users.isEmpty else {
                lines.append(Line(key: key, rule: rule.text, kept: nil, of: 0, note: "no directory snapshot yet: counted after the first sync"))
                continue
            }
            let lacking = rule.properties.filter(missing.contains).sorted()
            if !lacking.isEmpty {
                lines.append(Line(key: key, rule: rule.text, kept: nil, of: users.count,
                                  note: "the snapshot does not hold \(lacking.joined(separator: ", ")) yet: the next cycle reads every user again with \(lacking.count == 1 ? "it" : "them")"))
                continue
            }
            let kept = users.values.reduce(0) { $0 + (rule.keeps($1.value) ? 1 : 0) }
            lines.append(Line(key: key, rule: rule.text, kept: kept, of: users.count, note: nil))
        }
        self.lines = lines
    }

    /// Counts on the state at `config.sync.state`, opened read-only (nil users when there is none).
    public static func fromState(_ config: Configuration) -> WhereCounts {
        guard config.directory.where != nil || config.mailboxes.where != nil else { return WhereCounts(lines: []) }
        guard FileManager.default.fileExists(atPath: config.sync.state), let store = try? StateStore(path: config.sync.state, readOnly: true) else {
            return WhereCounts(config: config, users: nil, savedSelect: nil)
        }
        return WhereCounts(config: config, users: try? store.directorySnapshot(), savedSelect: try? store.meta("delta_select"))
    }

    init(lines: [Line]) { self.lines = lines }

    /// `directory.where keeps 812 of 1000 users: department eq 'Sales'`.
    public var texts: [String] {
        lines.map { l in
            if let kept = l.kept { return "\(l.key) keeps \(kept) of \(l.of) users in the snapshot: \(l.rule)" }
            return "\(l.key): \(l.rule) (\(l.note ?? ""))"
        }
    }
}
