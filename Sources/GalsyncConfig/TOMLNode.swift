/// What a key holds while a document is parsed: a value, a table, or an array of tables
/// (`[[name]]`), which later headers append to.
enum TOMLNode {
    case value(ConfigValue)
    case table(TOMLTableNode)
    case tables(TOMLTableArray)

    var configValue: ConfigValue {
        switch self {
        case .value(let v): v
        case .table(let t): .table(t.values)
        case .tables(let a): .array(a.tables.map { .table($0.values) })
        }
    }
}

/// A table under construction. Its origin decides what may still add to it, as TOML 1.0 says:
/// a header may name an implicit table once, dotted keys may only extend tables dotted keys
/// made or headers passed through, and an inline table is complete when it closes.
final class TOMLTableNode {
    enum Origin { case implicit, explicit, dotted, inline }

    var origin: Origin
    var entries: [String: TOMLNode] = [:]

    init(origin: Origin) { self.origin = origin }

    var values: [String: ConfigValue] { entries.mapValues(\.configValue) }
}

/// The tables of one `[[name]]` array, in order.
final class TOMLTableArray {
    var tables: [TOMLTableNode] = []

    func append() -> TOMLTableNode {
        let table = TOMLTableNode(origin: .explicit)
        tables.append(table)
        return table
    }
}
