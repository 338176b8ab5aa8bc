import Foundation

/// Walks the parsed TOML, converting and checking each key, recording problems and which keys it
/// used so that the rest can be reported as unknown.
struct ConfigReader {
    let root: [String: ConfigValue]
    var problems: [ConfigurationError.Problem] = []
    /// Put before every problem's key: `list.vendors.` while a list's own tables are read.
    var prefix = ""
    /// Reading a mailbox-sourced list's own `[list.contact]`: its fields are copies, which take
    /// a policy and no `from`.
    var copyingList = false
    /// `[contact.fields] photo`'s policy, read with the fields (it is not a contact property).
    var photoPolicy: ContactFieldRule.Policy = .overwrite

    init(root: [String: ConfigValue], prefix: String = "") {
        self.root = root
        self.prefix = prefix
    }

    static let sections: [String: [String]] = [
        "tenant": ["id", "client_id", "certificate", "private_key", "passphrase_file", "cloud", "login_endpoint", "graph_endpoint", "ca_file", "assertion_algorithm"],
        "sync": ["interval", "state", "folder", "full_reconcile", "drift_check", "max_deletes_percent", "concurrency", "metrics_file"],
        "directory": ["include_groups", "exclude_groups", "include_guests", "include_disabled", "require", "where", "honor_hidden", "exclude_mailbox_types", "include_org_contacts"],
        "mailboxes": ["groups", "users", "all", "include_self", "where"],
        "contact": ["exclude_fields", "fields", "categories", "notes", "phone_format", "default_region", "photos", "photo_size"],
    ]

    mutating func read(environment: [String: String]) -> Configuration? {
        reportUnknownKeys()
        let tenantId = string("tenant.id", required: "the tenant GUID or verified domain, e.g. contoso.onmicrosoft.com")
        let clientId = string("tenant.client_id", required: "the app registration's Application (client) ID")
        let certificate = string("tenant.certificate", required: "the path of the certificate uploaded to the app registration")
        if let tenantId, !Self.isGUID(tenantId), !Self.isDomain(tenantId) {
            problem("tenant.id", "'\(tenantId)' is neither a GUID nor a domain; use the Directory (tenant) ID from the Entra admin center")
        }
        if let clientId, !Self.isGUID(clientId) {
            problem("tenant.client_id", "'\(clientId)' is not a GUID; copy the Application (client) ID of the app registration")
        }
        var cloud = Cloud.global
        if let name = string("tenant.cloud") {
            if let c = Cloud(rawValue: name) { cloud = c }
            else { problem("tenant.cloud", "'\(name)' is not a cloud; use one of \(Cloud.allCases.map(\.rawValue).joined(separator: ", "))") }
        }
        let login = endpoint("tenant.login_endpoint")
        let graph = endpoint("tenant.graph_endpoint")
        let algorithm = string("tenant.assertion_algorithm") ?? "PS256"
        if !["PS256", "RS256"].contains(algorithm) { problem("tenant.assertion_algorithm", "'\(algorithm)' is not PS256 or RS256") }
        let privateKey = string("tenant.private_key")
        if let certificate, privateKey == nil, !Self.isPKCS12(certificate), environment["CREDENTIALS_DIRECTORY"] == nil {
            problem("tenant.private_key", "missing: give the PEM private key's path, or make tenant.certificate a .pfx/.p12 file holding both")
        }
        let tenant = Configuration.TenantSettings(
            id: tenantId ?? "", clientId: (clientId ?? "").lowercased(), certificate: certificate ?? "", privateKey: privateKey,
            passphraseFile: string("tenant.passphrase_file"), cloud: cloud, loginEndpoint: login, graphEndpoint: graph,
            caFile: string("tenant.ca_file"), assertionAlgorithm: algorithm)

        var sync = Configuration.SyncSettings()
        sync.state = Configuration.SyncSettings.defaultStatePath(environment: environment)
        if let d = duration("sync.interval", minimum: 60) { sync.interval = d }
        if let s = string("sync.state") { sync.state = s }
        if let f = string("sync.folder", allowEmpty: true) {
            if f.count > 255 { problem("sync.folder", "longer than 255 characters") } else { sync.folder = f }
        }
        if let d = duration("sync.full_reconcile", minimum: 3600) { sync.fullReconcile = d }
        // "0": at every cycle (the contract's word for it); otherwise a duration of a minute or more.
        if case .string("0")? = value("sync.drift_check") { sync.driftCheck = 0 } else if let d = duration("sync.drift_check", minimum: 60) { sync.driftCheck = d }
        if let p = number("sync.max_deletes_percent") {
            if (0...100).contains(p) { sync.maxDeletesPercent = p } else { problem("sync.max_deletes_percent", "\(p) is not within 0…100") }
        }
        if let c = number("sync.concurrency") {
            if c >= 1, c <= 4096, c.rounded() == c { sync.concurrency = Int(c) } else { problem("sync.concurrency", "\(c) is not a whole number within 1…4096") }
        }
        sync.metricsFile = string("sync.metrics_file")

        let directory = readDirectory()
        let mailboxes = readMailboxes()
        let contact = readContact()
        let lists = readLists(directory: directory, mailboxes: mailboxes, contact: contact)
        if lists.isEmpty, mailboxes.namesNone, problems.isEmpty {
            problem("mailboxes", "no target mailboxes: set groups, users, or all = true")
        }
        guard problems.isEmpty else { return nil }
        return Configuration(tenant: tenant, sync: sync, directory: directory, mailboxes: mailboxes, contact: contact, lists: lists)
    }

    // MARK: Typed access

    mutating func problem(_ key: String, _ message: String) { problems.append(.init(key: prefix + key, message: message)) }

    mutating func value(_ key: String) -> ConfigValue? {
        let parts = key.split(separator: ".").map(String.init)
        guard case .table(let t)? = root[parts[0]] else { return nil }
        return t[parts[1]]
    }

    mutating func string(_ key: String, required: String? = nil, allowEmpty: Bool = false) -> String? {
        switch value(key) {
        case nil:
            if let required { problem(key, "missing: \(required)") }
            return nil
        case .string(let s)?:
            if s.isEmpty, !allowEmpty { problem(key, "is empty"); return nil }
            return s
        case let other?:
            problem(key, "should be a string in quotes, not \(other.kind)")
            return nil
        }
    }

    /// A `where` expression; "" (or absent) is no rule. A mistake is reported with its column
    /// and the expression with a caret under it.
    mutating func whereRule(_ key: String) -> WhereRule? {
        guard let text = string(key, allowEmpty: true), !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        do {
            return try WhereRule(text)
        } catch {
            let pointer = error.pointing(into: text).split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
            problem(key, "column \(error.column): \(error.message)\n\(pointer)")
            return nil
        }
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let v = value(key) else { return nil }
        if case .bool(let b) = v { return b }
        problem(key, "should be true or false (no quotes), not \(v.kind)")
        return nil
    }

    mutating func number(_ key: String) -> Double? {
        switch value(key) {
        case nil: return nil
        case .int(let n)?: return Double(n)
        case .double(let d)?: return d
        case .string?: problem(key, "should be a number without quotes"); return nil
        case let v?: problem(key, "should be a number, not \(v.kind)"); return nil
        }
    }

    mutating func strings(_ key: String) -> [String]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else {
            problem(key, "should be a list of strings, e.g. [\"a\", \"b\"]")
            return nil
        }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { problem(key, "should be a list of strings, e.g. [\"a\", \"b\"]"); return nil }
            out.append(s)
        }
        return out
    }

    mutating func guids(_ key: String) -> [String] {
        let list = strings(key) ?? []
        for g in list where !Self.isGUID(g) {
            problem(key, "'\(g)' is not a group object ID (a GUID); find it in the Entra admin center under Groups")
        }
        return list.map { $0.lowercased() }
    }

    /// No duration galsync reads makes sense beyond a year (and a huge one would overflow a timer).
    static let longestDuration: TimeInterval = 366 * 86_400

    mutating func duration(_ key: String, minimum: TimeInterval) -> TimeInterval? {
        guard let text = string(key) else { return nil }
        guard let seconds = Self.parseDuration(text) else {
            problem(key, "'\(text)' is not a duration; write it like \"90s\", \"15m\", \"24h\" or \"1h30m\"")
            return nil
        }
        guard seconds >= minimum else {
            problem(key, "'\(text)' is too short; the least is \(Int(minimum))s")
            return nil
        }
        guard seconds <= Self.longestDuration else {
            problem(key, "'\(text)' is too long; the most is \(Int(Self.longestDuration / 86_400)) days")
            return nil
        }
        return seconds
    }

    mutating func endpoint(_ key: String) -> URL? {
        guard let text = string(key) else { return nil }
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text), let scheme = url.scheme?.lowercased(), let host = url.host else {
            problem(key, "'\(text)' is not a URL such as https://graph.microsoft.com")
            return nil
        }
        if scheme == "http" {
            guard LoopbackHost.contains(host) else {
                problem(key, "http:// is accepted for loopback hosts only (the simulator); use https:// for '\(host)'")
                return nil
            }
        } else if scheme != "https" {
            problem(key, "'\(scheme)' is not https")
            return nil
        }
        if url.query != nil || (url.path != "" && url.path != "/") {
            problem(key, "give the scheme and host only, e.g. https://graph.microsoft.com")
            return nil
        }
        return url
    }

    mutating func reportUnknownKeys() {
        for (section, value) in root where section != "list" {
            guard let known = Self.sections[section] else {
                if ["include", "store", "name"].contains(section) {
                    problem(section, "belongs to the install: load this file with InstallationLoader (galsync does)")
                    continue
                }
                problem(section, "unknown section\(Self.suggestion(section, Array(Self.sections.keys)))")
                continue
            }
            guard case .table(let table) = value else { problem(section, "should be a [\(section)] table"); continue }
            for key in table.keys where !known.contains(key) {
                problem("\(section).\(key)", "unknown key\(Self.suggestion(key, known)); galsync refuses to guess what it means")
            }
        }
    }

    // MARK: Helpers

    static func suggestion(_ word: String, _ candidates: [String]) -> String {
        let best = candidates.min { editDistance(word, $0) < editDistance(word, $1) }
        guard let best, editDistance(word, best) <= max(2, word.count / 3) else { return "" }
        return " (did you mean '\(best)'?)"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }

    static func parseDuration(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var total = 0.0, number = "", sawUnit = false
        for ch in text.trimmingCharacters(in: .whitespaces) {
            if ch.isNumber || ch == "." { number.append(ch) }
            else if let unit = units[ch], let n = Double(number) { total += n * unit; number = ""; sawUnit = true }
            else { return nil }
        }
        guard number.isEmpty, sawUnit else { return nil }
        return total
    }

    static func isGUID(_ s: String) -> Bool { UUID(uuidString: s) != nil }
    static func isDomain(_ s: String) -> Bool {
        s.contains(".") && !s.hasPrefix(".") && !s.hasSuffix(".") && s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
    }
    static func isPKCS12(_ path: String) -> Bool { [".pfx", ".p12"].contains { path.lowercased().hasSuffix($0) } }
}
