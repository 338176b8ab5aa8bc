/// A TOML value as a plain Swift value, as `TOMLParser` gives it, so the reader can check types.
indirect enum ConfigValue: Sendable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([ConfigValue])
    case table([String: ConfigValue])
    /// Dates and times: galsync has no key that takes one.
    case other(String)

    var kind: String {
        switch self {
        case .string: "a string"
        case .int, .double: "a number"
        case .bool: "true/false"
        case .array: "a list"
        case .table: "a table"
        case .other(let d): d
        }
    }
}
