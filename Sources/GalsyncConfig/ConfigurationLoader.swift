import Foundation

/// Reads and validates `galsync.toml` once. Every problem is collected (not just the first),
/// unknown keys are errors with a suggestion, so a typo such as `inclde_groups` can never
/// silently widen what galsync touches.
public enum ConfigurationLoader {
    /// `--config` wins, then `GALSYNC_CONFIG`, then `/etc/galsync/galsync.toml`.
    public static func path(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        explicit ?? environment["GALSYNC_CONFIG"] ?? "/etc/galsync/galsync.toml"
    }

    /// The configuration of a single-tenant install (`name` and `[store]` allowed); a file with
    /// `include` is an error asking for `--tenant` (see `InstallationLoader`).
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> Configuration {
        try InstallationLoader.load(path: path, environment: environment).tenant(named: nil)
    }

    /// The file's TOML, parsed but not yet read as a configuration.
    static func root(path: String) throws(ConfigurationError) -> [String: ConfigValue] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, problems: [.init(key: "", message: unreadable(path))])
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ConfigurationError(file: path, problems: [.init(key: "", message: "not valid TOML: the file is not UTF-8 text (TOML files must be); save it as UTF-8")])
        }
        return try root(text, file: path)
    }

    /// Why `path` cannot be read, from the system's own answer: a folder galsync may not enter
    /// (`/etc/galsync` is root's) is "cannot read", not "no such file".
    static func unreadable(_ path: String) -> String {
        var st = stat()
        var code: Int32 = stat(path, &st) == 0 ? 0 : errno
        if code == 0, (st.st_mode & S_IFMT) == S_IFDIR { code = EISDIR }
        if code == 0 {
            let fd = open(path, O_RDONLY)
            code = fd < 0 ? errno : 0
            if fd >= 0 { close(fd) }
        }
        switch code {
        case ENOENT, ENOTDIR:
            return "no such file; write one from /usr/share/doc/galsync/galsync.toml or pass --config"
        case EACCES, EPERM:
            return "cannot read it (permission denied): the configuration, key and state are root's; run galsync as root (sudo galsync ...); "
                + "members of the galsync group can run 'galsync status'"
        case EISDIR:
            return "is a folder, not a file: pass the galsync.toml inside it"
        default:
            return "cannot read it (\(String(cString: strerror(code))))"
        }
    }

    /// Whether a host is this machine (the simulator's case), as the loader decides for `http://`.
    public static func isLoopback(_ host: String) -> Bool { LoopbackHost.contains(host) }

    /// A duration as the configuration writes them ("90s", "15m", "1h30m"), for command-line
    /// options that take one.
    public static func duration(_ text: String) -> TimeInterval? { ConfigReader.parseDuration(text) }

    public static func parse(_ text: String, file: String = "galsync.toml", environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> Configuration {
        try parse(root: try root(text, file: file), file: file, environment: environment)
    }

    static func root(_ text: String, file: String) throws(ConfigurationError) -> [String: ConfigValue] {
        do {
            return try TOMLParser.parse(text)
        } catch {
            throw ConfigurationError(file: file, problems: [.init(key: "", message: "not valid TOML at line \(error.line), column \(error.column): \(error.message)")])
        }
    }

    /// One tenant's configuration from its parsed TOML. `include`, `[store]` and `name` belong to
    /// the install (`InstallationLoader`), which takes them out first.
    static func parse(root: [String: ConfigValue], file: String, environment: [String: String]) throws(ConfigurationError) -> Configuration {
        var reader = ConfigReader(root: root)
        let config = reader.read(environment: environment)
        if let config, reader.problems.isEmpty { return config }
        throw ConfigurationError(file: file, problems: reader.problems)
    }
}
