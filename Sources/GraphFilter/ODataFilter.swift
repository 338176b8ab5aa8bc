import Foundation
import GalsyncJSON

/// A parsed OData `$filter` expression: the subset Graph accepts on users, groups, contact
/// folders and contacts (comparisons, `startswith`, `in`, `and`/`or`/`not`, and `any` lambdas
/// over collections such as `singleValueExtendedProperties`). String literals use OData's
/// quoting (`'O''Brien'`), so a value can never widen a query.
///
/// Its own module, on the product's side of the arrows: the simulator evaluates Graph's
/// `$filter` with it, and galsync's `where` filters (issue 14) are to share it.
public indirect enum ODataFilter: Sendable, Equatable {
    case compare(path: [String], op: String, value: JSONValue)
    case startsWith(path: [String], prefix: String)
    case isIn(path: [String], values: [JSONValue])
    case and(ODataFilter, ODataFilter)
    case or(ODataFilter, ODataFilter)
    case not(ODataFilter)
    case any(path: [String], variable: String, ODataFilter)

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws -> ODataFilter {
        var parser = Parser(tokens: try tokenize(text))
        let node = try parser.parseOr()
        guard parser.atEnd else { throw ParseError(description: "Invalid filter clause: unexpected '\(parser.peek ?? "")'") }
        return node
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
    public var properties: Set<String> {
        switch self {
        case .compare(let p, _, _), .startsWith(let p, _), .isIn(let p, _): return [p[0]]
        case .and(let a, let b), .or(let a, let b): return a.properties.union(b.properties)
        case .not(let a): return a.properties
        case .any(let p, _, _): return [p[0]]
        }
    }

    /// Evaluates against an object; `variables` binds lambda variables.
    public func matches(_ object: JSONValue, variables: [String: JSONValue] = [:]) -> Bool {
        switch self {
        case .compare(let path, let op, let value):
            let actual = Self.resolve(path, object, variables)
            // An extended property's id compares with its Name part case-sensitive, the rest not.
            if variables[path[0]] != nil, path.last == "id", let a = actual.stringValue, let b = value.stringValue, op == "eq" || op == "ne" {
                let same = ExtendedPropertyId.canonical(a) == ExtendedPropertyId.canonical(b)
                return op == "eq" ? same : !same
            }
            return Self.compare(actual, op, value, caseSensitive: false)
        case .startsWith(let path, let prefix):
            guard let s = Self.resolve(path, object, variables).stringValue else { return false }
            return s.lowercased().hasPrefix(prefix.lowercased())
        case .isIn(let path, let values):
            let actual = Self.resolve(path, object, variables)
            return values.contains { Self.compare(actual, "eq", $0, caseSensitive: false) }
        case .and(let a, let b): return a.matches(object, variables: variables) && b.matches(object, variables: variables)
        case .or(let a, let b): return a.matches(object, variables: variables) || b.matches(object, variables: variables)
        case .not(let a): return !a.matches(object, variables: variables)
        case .any(let path, let variable, let body):
            guard let items = Self.resolve(path, object, variables).arrayValue else { return false }
            return items.contains { item in
                var vars = variables
                vars[variable] = item
                return body.matches(object, variables: vars)
            }
        }
    }

    static func resolve(_ path: [String], _ object: JSONValue, _ variables: [String: JSONValue]) -> JSONValue {
        var current: JSONValue
        var rest = path[...]
        if let bound = variables[path[0]] {
            current = bound
            rest = path.dropFirst()
        } else {
            current = object
        }
        for key in rest {
            guard let obj = current.objectValue else { return .null }
            // Graph property names are case-insensitive in query options.
            current = obj[key] ?? obj.first { $0.key.lowercased() == key.lowercased() }?.value ?? .null
        }
        return current
    }

    static func compare(_ a: JSONValue, _ op: String, _ b: JSONValue, caseSensitive: Bool) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)):
            let l = caseSensitive ? x : x.lowercased(), r = caseSensitive ? y : y.lowercased()
            switch op {
            case "eq": return l == r
            case "ne": return l != r
            case "gt": return l > r
            case "ge": return l >= r
            case "lt": return l < r
            default: return l <= r
            }
        case (.number(let x), .number(let y)):
            switch op {
            case "eq": return x == y
            case "ne": return x != y
            case "gt": return x > y
            case "ge": return x >= y
            case "lt": return x < y
            default: return x <= y
            }
        default:
            switch op {
            case "eq": return a == b
            case "ne": return a != b
            default: return false
            }
        }
    }

    // MARK: Tokenizer and parser

    enum Token: Equatable { case word(String), string(String), symbol(Character) }

    static func tokenize(_ text: String) throws -> [Token] {
        var tokens: [Token] = []
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c.isWhitespace { i = text.index(after: i); continue }
            if "()/,:".contains(c) { tokens.append(.symbol(c)); i = text.index(after: i); continue }
            if c == "'" {
                var value = ""
                i = text.index(after: i)
                var closed = false
                while i < text.endIndex {
                    if text[i] == "'" {
                        let next = text.index(after: i)
                        if next < text.endIndex, text[next] == "'" { value.append("'"); i = text.index(after: next); continue }
                        i = next; closed = true; break
                    }
                    value.append(text[i]); i = text.index(after: i)
                }
                guard closed else { throw ParseError(description: "Invalid filter clause: unterminated string literal") }
                tokens.append(.string(value))
                continue
            }
            var word = ""
            while i < text.endIndex, !text[i].isWhitespace, !"()/,:'".contains(text[i]) {
                word.append(text[i]); i = text.index(after: i)
            }
            tokens.append(.word(word))
        }
        return tokens
    }

    struct Parser {
        var tokens: [Token]
        var pos = 0
        var atEnd: Bool { pos >= tokens.count }
        var peek: String? {
            guard !atEnd else { return nil }
            switch tokens[pos] { case .word(let w): return w; case .string(let s): return "'\(s)'"; case .symbol(let c): return String(c) }
        }

        mutating func keyword(_ k: String) -> Bool {
            if !atEnd, case .word(let w) = tokens[pos], w.lowercased() == k { pos += 1; return true }
            return false
        }
        mutating func symbol(_ c: Character) -> Bool {
            if !atEnd, tokens[pos] == .symbol(c) { pos += 1; return true }
            return false
        }
        mutating func expect(_ c: Character) throws {
            guard symbol(c) else { throw ParseError(description: "Invalid filter clause: expected '\(c)' near '\(peek ?? "end")'") }
        }

        mutating func parseOr() throws -> ODataFilter {
            var left = try parseAnd()
            while keyword("or") { left = .or(left, try parseAnd()) }
            return left
        }
        mutating func parseAnd() throws -> ODataFilter {
            var left = try parseNot()
            while keyword("and") { left = .and(left, try parseNot()) }
            return left
        }
        mutating func parseNot() throws -> ODataFilter {
            if keyword("not") { return .not(try parseNot()) }
            return try parsePrimary()
        }
        mutating func parsePrimary() throws -> ODataFilter {
            if symbol("(") {
                let inner = try parseOr()
                try expect(")")
                return inner
            }
            if keyword("startswith") {
                try expect("(")
                let path = try parsePath()
                try expect(",")
                guard case .string(let prefix) = try parseLiteral() else { throw ParseError(description: "Invalid filter clause: startswith needs a string") }
                try expect(")")
                return .startsWith(path: path, prefix: prefix)
            }
            var path = try parsePath()
            if let last = path.last, ["any", "all"].contains(last.lowercased()), symbol("(") {
                path.removeLast()
                guard !path.isEmpty, !atEnd, case .word(let variable) = tokens[pos] else { throw ParseError(description: "Invalid filter clause: lambda needs a variable") }
                pos += 1
                try expect(":")
                let body = try parseOr()
                try expect(")")
                guard last.lowercased() == "any" else { throw ParseError(description: "Invalid filter clause: 'all' is not supported") }
                return .any(path: path, variable: variable, body)
            }
            if keyword("in") {
                try expect("(")
                var values = [try parseLiteral()]
                while symbol(",") { values.append(try parseLiteral()) }
                try expect(")")
                return .isIn(path: path, values: values)
            }
            guard !atEnd, case .word(let op) = tokens[pos], ["eq", "ne", "gt", "ge", "lt", "le"].contains(op.lowercased()) else {
                throw ParseError(description: "Invalid filter clause: expected an operator after '\(path.joined(separator: "/"))'")
            }
            pos += 1
            return .compare(path: path, op: op.lowercased(), value: try parseLiteral())
        }
        mutating func parsePath() throws -> [String] {
            guard !atEnd, case .word(let first) = tokens[pos], first.first?.isLetter == true else {
                throw ParseError(description: "Invalid filter clause: expected a property name near '\(peek ?? "end")'")
            }
            pos += 1
            var path = [first]
            while symbol("/") {
                guard !atEnd, case .word(let next) = tokens[pos] else { throw ParseError(description: "Invalid filter clause: bad property path") }
                pos += 1
                path.append(next)
            }
            return path
        }
        mutating func parseLiteral() throws -> JSONValue {
            guard !atEnd else { throw ParseError(description: "Invalid filter clause: expected a value") }
            defer { pos += 1 }
            switch tokens[pos] {
            case .string(let s): return .string(s)
            case .word(let w):
                switch w.lowercased() {
                case "true": return true
                case "false": return false
                case "null": return .null
                default:
                    if let n = Double(w) { return .number(n) }
                    // Unquoted GUIDs are valid OData literals.
                    if UUID(uuidString: w) != nil { return .string(w) }
                    throw ParseError(description: "Invalid filter clause: '\(w)' is not a literal (quote strings with ')")
                }
            case .symbol(let c): throw ParseError(description: "Invalid filter clause: unexpected '\(c)'")
            }
        }
    }
}
