/// Everything wrong with a configuration file, each with the key, what is wrong and the fix.
/// galsync exits 78 (EX_CONFIG) on it, so systemd does not restart into the same failure.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Problem: Sendable, Equatable {
        /// Dotted key, e.g. `sync.interval`; empty for the file as a whole.
        public var key: String
        public var message: String
        public init(key: String, message: String) {
            self.key = key
            self.message = message
        }
    }

    public var file: String
    public var problems: [Problem]

    public init(file: String, problems: [Problem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        let head = problems.count == 1 ? "\(file): 1 problem" : "\(file): \(problems.count) problems"
        return ([head] + problems.map { "  - " + ($0.key.isEmpty ? "" : "\($0.key): ") + $0.message }).joined(separator: "\n")
    }
}
