/// A configuration file that is not valid TOML: where (1-based line and column) and what.
struct TOMLSyntaxError: Error, Sendable, Equatable {
    var line: Int
    var column: Int
    var message: String
}
