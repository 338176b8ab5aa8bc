import TOMLKit

/// A TOML value as a plain Swift value, so the reader can check types without TOMLKit's classes.
indirect enum ConfigValue: Sendable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([ConfigValue])
    case table([String: ConfigValue])
    /// Dates and times: galsync has no key that takes one.
    case other(String)

    init(_ value: any TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .int(value.int ?? 0)
        case .double: self = .double(value.double ?? 0)
        case .bool: self = .bool(value.bool ?? false)
        case .array: self = .array((value.array.map { Array($0) } ?? []).map { ConfigValue($0) })
        case .table: self = .table(ConfigValue.dictionary(value.table!))
        default: self = .other("a \(value.type)")
        }
    }

    static func dictionary(_ table: TOMLTable) -> [String: ConfigValue] {
        var out: [String: ConfigValue] = [:]
        for key in table.keys { if let v = table[key] { out[key] = ConfigValue(v) } }
        return out
    }

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
