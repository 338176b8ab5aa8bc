import Foundation
import TOMLKit

/// Reads and validates `galsync.toml` once. Every problem is collected (not just the first),
/// unknown keys are errors with a suggestion, so a typo such as `inclde_groups` can never
/// silently widen what galsync touches.
public enum ConfigurationLoader {
    /// `--config` wins, then `GALSYNC_CONFIG`, then `/etc/galsync/galsync.toml`.
    public static func path(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        explicit ?? environment["GALSYNC_CONFIG"] ?? "/etc/galsync/galsync.toml"
    }

    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigurationError(file: path, problems: [.init(key: "", message: exists
                ? "cannot read the file (permissions?); galsync needs read access to it"
                : "no such file; write one from /usr/share/doc/galsync/galsync.toml or pass --config")])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path, environment: environment)
    }

    public static func parse(_ text: String, file: String = "galsync.toml", environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> Configuration {
        if let line = unnamedTableHeader(in: text) {
            throw ConfigurationError(file: file, problems: [.init(key: "", message: "not valid TOML at line \(line): '[' opens a table header but no name follows; write it like [sync]")])
        }
        let root: [String: ConfigValue]
        do {
            root = ConfigValue.dictionary(try TOMLTable(string: text))
        } catch let error as TOMLParseError {
            throw ConfigurationError(file: file, problems: [.init(key: "", message: "not valid TOML at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")])
        } catch {
            throw ConfigurationError(file: file, problems: [.init(key: "", message: "not valid TOML: \(error)")])
        }
        var reader = ConfigReader(root: root)
        let config = reader.read(environment: environment)
        if let config, reader.problems.isEmpty { return config }
        throw ConfigurationError(file: file, problems: reader.problems)
    }

    /// The first line holding a table header with no name (`[`, `[[`, `[#`, `[=]`), which the
    /// TOML library's parser does not reject but asserts on, aborting the process: found by
    /// ConfigFuzzTests. A line inside a multi-line array that starts with `[` and a value is
    /// not a header and passes.
    static func unnamedTableHeader(in text: String) -> Int? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = line.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "[" else { continue }
            rest = rest.dropFirst()
            if rest.first == "[" { rest = rest.dropFirst() }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let c = rest.first else { return index + 1 }
            if c.isASCII && (c.isLetter || c.isNumber) || "_-\"']".contains(c) { continue }
            return index + 1
        }
        return nil
    }
}
