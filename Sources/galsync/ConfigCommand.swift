import ArgumentParser
import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncJSON

/// `galsync config`: what galsync makes of its configuration file.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective configuration.",
        subcommands: [Show.self])

    func run() async throws { throw CommandLineUsage.helpThenUsageError(Self.self) }

    /// `galsync config show`: every key with the value galsync uses, defaults filled in, like
    /// `sshd -T`. The text is TOML that galsync accepts; `--json` gives the same keys. The
    /// configuration holds no secrets, only the paths of files that do, and those are never read.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every configuration key with the value galsync uses, defaults filled in (as TOML, or --json).")

        @OptionGroup var options: ConfigOption
        @Flag(help: "One JSON object: {\"file\": ..., \"tenant\": {...}, ...}; on failure {\"error\": {...}}.") var json = false

        func run() async throws {
            let path = ConfigurationLoader.path(explicit: options.config)
            let config = try loadConfig(options, json: json, command: "config show")
            let sections = EffectiveConfiguration.sections(config)
            if json {
                print(String(decoding: EffectiveConfiguration.json(sections, file: path).encoded(), as: UTF8.self))
            } else {
                print(EffectiveConfiguration.toml(sections, file: path, notes: EffectiveConfiguration.notes(config)))
            }
        }
    }
}

/// The configuration as the keys of galsync.toml, in the example file's order.
enum EffectiveConfiguration {
    enum Value {
        case string(String)
        case strings([String])
        case bool(Bool)
        case number(Double)
        /// Seconds, written as the file writes them ("15m", "1h30m").
        case duration(TimeInterval)
        /// No value; the words say what galsync does instead.
        case unset(String)
        /// An inline table of strings (`{ from = "…", policy = "…" }`).
        case inline([(key: String, value: String)])
    }

    typealias Section = (name: String, keys: [(key: String, value: Value)])

    static func sections(_ c: Configuration) -> [Section] {
        let t = c.tenant, s = c.sync, d = c.directory, m = c.mailboxes
        func path(_ p: String?, _ otherwise: String) -> Value { p.map(Value.string) ?? .unset(otherwise) }
        return [
            ("tenant", [
                ("id", .string(t.id)),
                ("client_id", .string(t.clientId)),
                ("certificate", .string(t.certificate)),
                ("private_key", path(t.privateKey, "none: the key is in the PKCS#12 certificate file, or the systemd credential galsync.key")),
                ("passphrase_file", path(t.passphraseFile, "none: the key is not encrypted, or the systemd credential galsync.passphrase")),
                ("cloud", .string(t.cloud.rawValue)),
                ("login_endpoint", .string(t.loginEndpoint.absoluteString)),
                ("graph_endpoint", .string(t.graphEndpoint.absoluteString)),
                ("ca_file", path(t.caFile, "none: the system's trusted roots")),
                ("assertion_algorithm", .string(t.assertionAlgorithm)),
            ]),
            ("sync", [
                ("interval", .duration(s.interval)),
                ("state", .string(s.state)),
                ("folder", .string(s.folder)),
                ("full_reconcile", .duration(s.fullReconcile)),
                ("drift_check", s.driftCheck == 0 ? .string("0") : .duration(s.driftCheck)),
                ("max_deletes_percent", .number(s.maxDeletesPercent)),
                ("concurrency", .number(Double(s.concurrency))),
                ("metrics_file", path(s.metricsFile, "none: no Prometheus textfile")),
            ]),
            ("directory", directory(d)),
            ("mailboxes", mailboxes(m)),
            ("contact", contact(c.contact)),
        ] + fields(c.contact, "contact.fields") + c.lists.flatMap { l -> [Section] in
            var head: [(key: String, value: Value)] = [("name", .string(l.name)), ("folder", .string(l.folder))]
            switch l.source {
            case .directory: head.append(("source", .string("directory")))
            case .mailbox(let mailbox, let folder): head += [("source", .string("mailbox")), ("source_mailbox", .string(mailbox)), ("source_folder", .string(folder))]
            }
            // A list copied from a mailbox takes no [list.directory] (its sources are that folder's).
            return [("[list]", head)] + (l.source == .directory ? [("list.directory", directory(l.directory))] : [])
                + [("list.mailboxes", mailboxes(l.mailboxes)), ("list.contact", contact(l.contact))] + fields(l.contact, "list.contact.fields")
        }
    }

    static func directory(_ d: Configuration.DirectoryScope) -> [(key: String, value: Value)] {
        [
            ("include_groups", .strings(d.includeGroups)),
            ("exclude_groups", .strings(d.excludeGroups)),
            ("include_guests", .bool(d.includeGuests)),
            ("include_disabled", .bool(d.includeDisabled)),
            ("require", .strings(d.require)),
            ("where", d.where.map { .string($0.text) } ?? .unset("none: every user the rules above let through")),
            ("honor_hidden", .bool(d.honorHidden)),
            ("exclude_mailbox_types", .strings(d.excludeMailboxTypes)),
            ("include_org_contacts", .bool(d.includeOrgContacts)),
        ]
    }

    static func mailboxes(_ m: Configuration.MailboxTargets) -> [(key: String, value: Value)] {
        [
            ("groups", .strings(m.groups)),
            ("users", .strings(m.users)),
            ("all", .bool(m.all)),
            ("include_self", .bool(m.includeSelf)),
            ("where", m.where.map { .string($0.text) } ?? .unset("none: every mailbox the rules above name")),
        ]
    }

    static func contact(_ c: Configuration.ContactSettings) -> [(key: String, value: Value)] {
        [("exclude_fields", .strings(c.excludeFields)), ("categories", .strings(c.categories)),
         ("notes", c.notes.map { .string($0.text) } ?? .unset("none: galsync leaves the notes alone")),
         ("phone_format", .string(c.phoneFormat.rawValue)), ("default_region", .string(c.defaultRegion)),
         ("photos", .bool(c.photos)), ("photo_size", .string(c.photoSize.map { "\($0)x\($0)" } ?? ""))]
            + (c.fields.isEmpty ? [("fields", .unset("no [contact.fields]: the 11 built-in fields, each from its built-in source"))] : [])
    }

    /// `[contact.fields]` as its own table, when it has any field.
    static func fields(_ c: Configuration.ContactSettings, _ name: String) -> [Section] {
        guard !c.fields.isEmpty else { return [] }
        return [(name, c.fields.sorted { $0.key < $1.key }.map { key, rule in
            (key, .inline((rule.fromText.map { [("from", $0)] } ?? []) + [("policy", rule.policy.rawValue)]))
        })]
    }

    /// What the environment changes beside the file: systemd credentials win over the key paths.
    static func notes(_ c: Configuration, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        guard let dir = environment["CREDENTIALS_DIRECTORY"] else { return [] }
        var notes: [String] = []
        if FileManager.default.fileExists(atPath: "\(dir)/galsync.key") {
            notes.append("the systemd credential \(dir)/galsync.key is used instead of tenant.private_key")
        }
        if c.tenant.passphraseFile == nil, FileManager.default.fileExists(atPath: "\(dir)/galsync.passphrase") {
            notes.append("the passphrase comes from the systemd credential \(dir)/galsync.passphrase")
        }
        return notes
    }

    static func toml(_ sections: [Section], file: String, notes: [String]) -> String {
        var lines = ["# The effective configuration: \(file) with every default filled in."]
        lines += notes.map { "# Note: \($0)." }
        for section in sections {
            lines += ["", "[\(section.name)]"]  // "[list]" gives [[list]]
            for (key, value) in section.keys {
                switch value {
                case .unset(let why): lines.append("# \(key) is not set (\(why))")
                default: lines.append("\(key) = \(toml(value))")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    static func toml(_ value: Value) -> String {
        switch value {
        case .string(let s): quoted(s)
        case .strings(let list): "[" + list.map(quoted).joined(separator: ", ") + "]"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): number(n)
        case .duration(let d): quoted(duration(d))
        case .unset: ""
        case .inline(let pairs): "{ " + pairs.map { "\($0.key) = \(quoted($0.value))" }.joined(separator: ", ") + " }"
        }
    }

    static func json(_ sections: [Section], file: String) -> JSONValue {
        var object: [String: JSONValue] = ["file": .string(file)]
        var lists: [JSONValue] = []
        for section in sections {
            var keys: [String: JSONValue] = [:]
            for (key, value) in section.keys {
                switch value {
                case .string(let s): keys[key] = .string(s)
                case .strings(let list): keys[key] = .array(list.map(JSONValue.string))
                case .bool(let b): keys[key] = .bool(b)
                case .number(let n): keys[key] = .number(n)
                case .duration(let d): keys[key] = .string(duration(d))
                case .unset: keys[key] = .null
                case .inline(let pairs): keys[key] = .object(Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, JSONValue.string($0.value)) }))
                }
            }
            // Each [[list]] is one object in "list", its tables inside it.
            if section.name == "[list]" { lists.append(.object(keys)) }
            else if section.name == "list.contact.fields", case .object(var list)? = lists.popLast() {
                var contact = list["contact"]?.objectValue ?? [:]
                contact["fields"] = .object(keys)
                list["contact"] = .object(contact)
                lists.append(.object(list))
            } else if section.name == "contact.fields" {
                var contact = object["contact"]?.objectValue ?? [:]
                contact["fields"] = .object(keys)
                object["contact"] = .object(contact)
            } else if section.name.hasPrefix("list."), case .object(var list)? = lists.popLast() {
                list[String(section.name.dropFirst("list.".count))] = .object(keys)
                lists.append(.object(list))
            } else { object[section.name] = .object(keys) }
        }
        if !lists.isEmpty { object["list"] = .array(lists) }
        return .object(object)
    }

    /// "1h30m", "15m", "24h", "7d": the largest units first, as the file accepts them; days
    /// only for whole days beyond one (the example file writes a day as "24h").
    static func duration(_ seconds: TimeInterval) -> String {
        var rest = Int(seconds.rounded())
        var out = ""
        let units = rest > 86_400 && rest % 86_400 == 0 ? [("d", 86_400)] : [("h", 3600), ("m", 60), ("s", 1)]
        for (unit, size) in units where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out.isEmpty ? "0s" : out
    }

    static func number(_ n: Double) -> String { n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : String(n) }

    /// A TOML basic string: quotes, backslashes and control characters escaped.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where u.value < 0x20 || u.value == 0x7F: out += String(format: "\\u%04X", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
