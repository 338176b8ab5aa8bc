import Foundation
import GalsyncJSON

/// A parsed OData `$filter` expression: the subset Graph accepts on users, groups, contact
/// folders and contacts (comparisons, `startswith`, `in`, `and`/`or`/`not`, `any` lambdas
/// over collections such as `singleValueExtendedProperties`), plus `endswith` and `contains`,
/// which galsync's `where` rules allow and Graph refuses on most properties (the simulator
/// says so through `textFunctions`). String literals use OData's quoting (`'O''Brien'`), so
/// a value can never widen a query. Parsing is in `ODataFilter+Parser.swift`.
///
/// Its own module, on the product's side of the arrows: the simulator evaluates Graph's
/// `$filter` with it, and galsync evaluates its `where` rules with it.
public indirect enum ODataFilter: Sendable, Equatable {
    case compare(path: [String], op: String, value: JSONValue)
    /// `startswith(p,'x')`, `endswith(p,'x')`, `contains(p,'x')`: text only, case ignored.
    case text(TextFunction, path: [String], value: String)
    case isIn(path: [String], values: [JSONValue])
    case and(ODataFilter, ODataFilter)
    case or(ODataFilter, ODataFilter)
    case not(ODataFilter)
    case any(path: [String], variable: String, ODataFilter)

    public enum TextFunction: String, Sendable, CaseIterable {
        case startsWith = "startswith", endsWith = "endswith", contains
    }

    /// The ids of `id eq 'a' or id eq 'b' …`, or nil when the filter is anything else.
    public var idEqualityList: [String]? {
        switch self {
        case .compare(let p, "eq", .string(let v)) where p.count == 1 && p[0].lowercased() == "id": return [v]
        case .or(let a, let b):
            guard let l = a.idEqualityList, let r = b.idEqualityList else { return nil }
            return l + r
        default: return nil
        }
    }

    /// The top-level property names the filter reads (lambda variables excluded).
    public var properties: Set<String> { Set(paths.map { $0[0] }) }

    /// Every property path the filter reads, as written (a lambda's collection, not its variable).
    public var paths: [[String]] {
        switch self {
        case .compare(let p, _, _), .text(_, let p, _), .isIn(let p, _), .any(let p, _, _): return [p]
        case .and(let a, let b), .or(let a, let b): return a.paths + b.paths
        case .not(let a): return a.paths
        }
    }

    /// The text functions used, for a server that supports only some of them.
    public var textFunctions: Set<TextFunction> {
        switch self {
        case .text(let f, _, _): return [f]
        case .compare, .isIn: return []
        case .and(let a, let b), .or(let a, let b): return a.textFunctions.union(b.textFunctions)
        case .not(let a), .any(_, _, let a): return a.textFunctions
        }
    }

    /// Whether the filter uses `ne` or `not`, which Graph answers only as an advanced query.
    public var negates: Bool {
        switch self {
        case .compare(_, let op, _): return op == "ne"
        case .text, .isIn: return false
        case .not: return true
        case .and(let a, let b), .or(let a, let b): return a.negates || b.negates
        case .any(_, _, let a): return a.negates
        }
    }

    /// The same filter with each path's first name replaced by `rename` (for example the
    /// property's canonical spelling); lambda variables are left alone.
    public func renamingProperties(_ rename: (String) -> String) -> ODataFilter {
        func r(_ p: [String]) -> [String] { [rename(p[0])] + p.dropFirst() }
        switch self {
        case .compare(let p, let op, let v): return .compare(path: r(p), op: op, value: v)
        case .text(let f, let p, let v): return .text(f, path: r(p), value: v)
        case .isIn(let p, let v): return .isIn(path: r(p), values: v)
        case .and(let a, let b): return .and(a.renamingProperties(rename), b.renamingProperties(rename))
        case .or(let a, let b): return .or(a.renamingProperties(rename), b.renamingProperties(rename))
        case .not(let a): return .not(a.renamingProperties(rename))
        case .any(let p, let v, let body): return .any(path: r(p), variable: v, body)
        }
    }

    /// Evaluates against an object; `variables` binds lambda variables.
    public func matches(_ object: JSONValue, variables: [String: JSONValue] = [:]) -> Bool {
        matches(variables: variables) { key in
            guard let obj = object.objectValue else { return nil }
            return obj[key] ?? obj.first { $0.key.lowercased() == key.lowercased() }?.value
        }
    }

    /// Evaluates with `property` giving each top-level property (nil: absent, which compares
    /// as `null`): for records that are not JSON objects, such as galsync's packed users.
    public func matches(variables: [String: JSONValue] = [:], property: (String) -> JSONValue?) -> Bool {
        switch self {
        case .compare(let path, let op, let value):
            let actual = Self.resolve(path, variables, property)
            // An extended property's id compares with its Name part case-sensitive, the rest not.
            if variables[path[0]] != nil, path.last == "id", let a = actual.stringValue, let b = value.stringValue, op == "eq" || op == "ne" {
                let same = ExtendedPropertyId.canonical(a) == ExtendedPropertyId.canonical(b)
                return op == "eq" ? same : !same
            }
            return Self.compare(actual, op, value)
        case .text(let function, let path, let value):
            guard let s = Self.resolve(path, variables, property).stringValue?.lowercased() else { return false }
            let v = value.lowercased()
            switch function {
            case .startsWith: return s.hasPrefix(v)
            case .endsWith: return s.hasSuffix(v)
            case .contains: return v.isEmpty || s.contains(v)
            }
        case .isIn(let path, let values):
            let actual = Self.resolve(path, variables, property)
            return values.contains { Self.compare(actual, "eq", $0) }
        case .and(let a, let b): return a.matches(variables: variables, property: property) && b.matches(variables: variables, property: property)
        case .or(let a, let b): return a.matches(variables: variables, property: property) || b.matches(variables: variables, property: property)
        case .not(let a): return !a.matches(variables: variables, property: property)
        case .any(let path, let variable, let body):
            guard let items = Self.resolve(path, variables, property).arrayValue else { return false }
            return items.contains { item in
                var vars = variables
                vars[variable] = item
                return body.matches(variables: vars, property: property)
            }
        }
    }

    static func resolve(_ path: [String], _ variables: [String: JSONValue], _ property: (String) -> JSONValue?) -> JSONValue {
        var current = variables[path[0]] ?? property(path[0]) ?? .null
        for key in path.dropFirst() {
            guard let obj = current.objectValue else { return .null }
            // Graph property names are case-insensitive in query options.
            current = obj[key] ?? obj.first { $0.key.lowercased() == key.lowercased() }?.value ?? .null
        }
        return current
    }

    /// Text compares without case; a comparison between different kinds is false except `ne`.
    static func compare(_ a: JSONValue, _ op: String, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return order(x.lowercased(), op, y.lowercased())
        case (.number(let x), .number(let y)): return order(x, op, y)
        default:
            switch op {
            case "eq": return a == b
            case "ne": return a != b
            default: return false
            }
        }
    }

    static func order<T: Comparable>(_ l: T, _ op: String, _ r: T) -> Bool {
        switch op {
        case "eq": l == r
        case "ne": l != r
        case "gt": l > r
        case "ge": l >= r
        case "lt": l < r
        default: l <= r
        }
    }
}
