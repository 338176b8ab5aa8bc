import Foundation

/// Reads a whole install: the main file, and with `include = [...]` every tenant file its
/// patterns match. The main file of a many-tenant install holds `include` and `[store]` only;
/// each tenant file is a complete configuration with `name = "..."` at its top. A tenant file
/// that fails to load is kept with its problems (that tenant stops, the others run); a broken
/// main file, or one that names no tenant, is the install's error.
public enum InstallationLoader {
    static let nameRule = "lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters"

    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> Installation {
        let root = try ConfigurationLoader.root(path: path)
        var problems: [ConfigurationError.Problem] = []
        let store = readStore(root["store"], problems: &problems)
        guard let include = root["include"] else {
            // One tenant: the file itself, with its optional name and [store].
            var rest = root
            rest["store"] = nil
            let name = tenantName(&rest, required: false, problems: &problems)
            if !problems.isEmpty { throw ConfigurationError(file: path, problems: problems) }
            var config = try ConfigurationLoader.parse(root: rest, file: path, environment: environment)
            config.name = name ?? ""
            return Installation(file: path, store: store, tenants: [.init(name: config.name, file: path, config: .success(config))], isMultiTenant: false)
        }
        for key in root.keys.sorted() where !["include", "store"].contains(key) {
            problems.append(.init(key: key, message: "a file with include = [...] holds only include and [store]; put [\(key)] in a tenant's own file"))
        }
        let patterns: [String]
        if case .array(let items) = include, let strings = Optional(items.compactMap { if case .string(let s) = $0 { s } else { nil } }), strings.count == items.count {
            patterns = strings
        } else {
            problems.append(.init(key: "include", message: "should be a list of file patterns in quotes, e.g. include = [\"/etc/galsync/tenants.d/*.toml\"]"))
            patterns = []
        }
        let folder = (path as NSString).deletingLastPathComponent
        var files: [String] = []
        for pattern in patterns {
            let absolute = pattern.hasPrefix("/") ? pattern : (folder.isEmpty ? pattern : folder + "/" + pattern)
            let matched = glob(absolute)
            if matched.isEmpty { problems.append(.init(key: "include", message: "'\(pattern)' matches no file; add a tenant file there or remove the pattern")) }
            files += matched.filter { !files.contains($0) }
        }
        if !problems.isEmpty { throw ConfigurationError(file: path, problems: problems) }
        return Installation(file: path, store: store, tenants: tenants(files, environment: environment), isMultiTenant: true)
    }

    /// Loads each tenant file; names must be unique, and so must each tenant's state folder and
    /// metrics file (two tenants in one `state.db` would delete each other's contacts).
    static func tenants(_ files: [String], environment: [String: String]) -> [Installation.Tenant] {
        var tenants: [Installation.Tenant] = []
        var counts: [String: Int] = [:]
        for file in files {
            let fallback = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            do throws(ConfigurationError) {
                var root = try ConfigurationLoader.root(path: file)
                var problems: [ConfigurationError.Problem] = []
                if root["store"] != nil { problems.append(.init(key: "store", message: "[store] belongs in the main file, for every tenant at once")) }
                if root["include"] != nil { problems.append(.init(key: "include", message: "a tenant file cannot include others")) }
                root["store"] = nil
                root["include"] = nil
                let name = tenantName(&root, required: true, problems: &problems)
                if !problems.isEmpty { throw ConfigurationError(file: file, problems: problems) }
                var env = environment
                // Each tenant's state under its own folder by default: $STATE_DIRECTORY/NAME/state.db.
                let base = (Configuration.SyncSettings.defaultStatePath(environment: environment) as NSString).deletingLastPathComponent
                env["STATE_DIRECTORY"] = base + "/" + name!
                var config = try ConfigurationLoader.parse(root: root, file: file, environment: env)
                config.name = name!
                tenants.append(.init(name: name!, file: file, config: .success(config)))
            } catch {
                tenants.append(.init(name: name(in: file) ?? fallback, file: file, config: .failure(error)))
            }
        }
        for t in tenants { counts[t.name, default: 0] += 1 }
        var states: [String: String] = [:], metrics: [String: String] = [:]
        for i in tenants.indices {
            let t = tenants[i]
            if counts[t.name]! > 1 {
                let others = tenants.filter { $0.name == t.name && $0.file != t.file }.map(\.file)
                tenants[i].config = .failure(ConfigurationError(file: t.file, problems: [.init(key: "name", message: "'\(t.name)' is also the name in \(others.joined(separator: ", ")); each tenant needs its own name")]))
                continue
            }
            guard case .success(let config) = t.config else { continue }
            // The folder, not only the file: a tenant's lists keep their state in lists/ beside it.
            let folder = (config.sync.state as NSString).deletingLastPathComponent
            if let other = states[folder] {
                tenants[i].config = .failure(ConfigurationError(file: t.file, problems: [.init(key: "sync.state", message: "\(folder) is tenant \(other)'s state folder too (lists keep their state in lists/ beside state.db); give each tenant a folder of its own (or leave sync.state out)")]))
            } else if let m = config.sync.metricsFile, let other = metrics[m] {
                tenants[i].config = .failure(ConfigurationError(file: t.file, problems: [.init(key: "sync.metrics_file", message: "\(m) is tenant \(other)'s metrics file too; give each tenant its own in the textfile collector's folder")]))
            } else {
                states[folder] = t.name
                if let m = config.sync.metricsFile { metrics[m] = t.name }
            }
        }
        // Graph's global per-app limit is shared by every tenant that uses the same app.
        var perApp: [String: Int] = [:]
        for t in tenants { if case .success(let c) = t.config { perApp[c.tenant.clientId, default: 0] += 1 } }
        for i in tenants.indices {
            if case .success(var c) = tenants[i].config {
                c.sync.appShare = 1 / Double(perApp[c.tenant.clientId] ?? 1)
                tenants[i].config = .success(c)
            }
        }
        return tenants.sorted { $0.name < $1.name }
    }

    /// `name = "..."`, removed from `root` once read.
    static func tenantName(_ root: inout [String: ConfigValue], required: Bool, problems: inout [ConfigurationError.Problem]) -> String? {
        defer { root["name"] = nil }
        guard let value = root["name"] else {
            if required { problems.append(.init(key: "name", message: "missing: put name = \"...\" at the top of each tenant file (\(nameRule))")) }
            return nil
        }
        guard case .string(let name) = value else { problems.append(.init(key: "name", message: "should be a string in quotes")); return nil }
        guard isTenantName(name) else { problems.append(.init(key: "name", message: "'\(name)' is not a tenant name: \(nameRule)")); return nil }
        return name
    }

    public static func isTenantName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= 63, CharacterSet.lowercaseLetters.union(.decimalDigits).contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// The name a broken file gives, when its first lines say it (for the error's heading).
    static func name(in file: String) -> String? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n").prefix(20) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "name", parts[1].hasPrefix("\""), parts[1].hasSuffix("\""), parts[1].count > 2 {
                let n = String(parts[1].dropFirst().dropLast())
                if isTenantName(n) { return n }
            }
        }
        return nil
    }

    static func readStore(_ value: ConfigValue?, problems: inout [ConfigurationError.Problem]) -> StoreSettings {
        var store = StoreSettings()
        guard let value else { return store }
        guard case .table(let t) = value else { problems.append(.init(key: "store", message: "should be a [store] table")); return store }
        for key in t.keys.sorted() where !["url", "lease", "password_file"].contains(key) {
            problems.append(.init(key: "store.\(key)", message: "unknown key\(ConfigReader.suggestion(key, ["url", "lease", "password_file"])); galsync refuses to guess what it means"))
        }
        if let v = t["url"] {
            if case .string(let s) = v {
                if !s.isEmpty {
                    switch PostgresURL.parse(s) {
                    case .success(let url): store.url = url
                    case .failure(let why): problems.append(.init(key: "store.url", message: why.message))
                    }
                }
            } else { problems.append(.init(key: "store.url", message: "should be a string in quotes")) }
        }
        if let v = t["lease"] {
            if case .string(let s) = v, let d = ConfigReader.parseDuration(s), d >= 10, d <= 3600 { store.lease = d }
            else { problems.append(.init(key: "store.lease", message: "should be a duration from \"10s\" to \"1h\", e.g. \"60s\"")) }
        }
        if let v = t["password_file"] {
            if case .string(let s) = v, !s.isEmpty { store.passwordFile = s }
            else { problems.append(.init(key: "store.password_file", message: "should be a file's path in quotes")) }
        }
        return store
    }

    /// The files `pattern` matches (glob(3)), sorted.
    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
