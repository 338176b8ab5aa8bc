import Foundation
import GalsyncJSON

/// The tokenizer and recursive-descent parser of `ODataFilter`: `or` binds loosest, then
/// `and`, then `not`; every token keeps its column for `ParseError`.
extension ODataFilter {
    public static func parse(_ text: String) throws(ParseError) -> ODataFilter {
        var parser = Parser(tokens: try tokenize(text), end: text.count + 1)
        let node = try parser.parseOr()
        guard parser.atEnd else { throw parser.error("unexpected '\(parser.peekText)' after a complete expression") }
        return node
    }

    enum TokenKind: Equatable { case word(String), string(String), symbol(Character) }

    struct Token: Equatable {
        let kind: TokenKind
        let column: Int
    }

    static func tokenize(_ text: String) throws(ParseError) -> [Token] {
        var tokens: [Token] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            if "()/,:".contains(c) { tokens.append(Token(kind: .symbol(c), column: i + 1)); i += 1; continue }
            if c == "'" {
                let start = i
                var value = ""
                i += 1
                var closed = false
                while i < chars.count {
                    if chars[i] == "'" {
                        if i + 1 < chars.count, chars[i + 1] == "'" { value.append("'"); i += 2; continue }
                        i += 1; closed = true; break
                    }
                    value.append(chars[i]); i += 1
                }
                guard closed else { throw ParseError("this string literal has no closing quote (write a quote inside it as '')", column: start + 1) }
                tokens.append(Token(kind: .string(value), column: start + 1))
                continue
            }
            let start = i
            var word = ""
            while i < chars.count, !chars[i].isWhitespace, !"()/,:'".contains(chars[i]) { word.append(chars[i]); i += 1 }
            tokens.append(Token(kind: .word(word), column: start + 1))
        }
        return tokens
    }

    struct Parser {
        var tokens: [Token]
        /// The column one past the text, for errors at its end.
        let end: Int
        var pos = 0
        var atEnd: Bool { pos >= tokens.count }
        var peekText: String {
            guard !atEnd else { return "end of expression" }
            switch tokens[pos].kind { case .word(let w): return w; case .string(let s): return "'\(s)'"; case .symbol(let c): return String(c) }
        }

        func error(_ message: String) -> ParseError { ParseError(message, column: atEnd ? end : tokens[pos].column) }

        mutating func keyword(_ k: String) -> Bool {
            if !atEnd, case .word(let w) = tokens[pos].kind, w.lowercased() == k { pos += 1; return true }
            return false
        }
        mutating func symbol(_ c: Character) -> Bool {
            if !atEnd, tokens[pos].kind == .symbol(c) { pos += 1; return true }
            return false
        }
        mutating func expect(_ c: Character) throws(ParseError) {
            guard symbol(c) else { throw error("expected '\(c)', found '\(peekText)'") }
        }

        mutating func parseOr() throws(ParseError) -> ODataFilter {
            var left = try parseAnd()
            while keyword("or") { left = .or(left, try parseAnd()) }
            return left
        }
        mutating func parseAnd() throws(ParseError) -> ODataFilter {
            var left = try parseNot()
            while keyword("and") { left = .and(left, try parseNot()) }
            return left
        }
        mutating func parseNot() throws(ParseError) -> ODataFilter {
            if keyword("not") { return .not(try parseNot()) }
            return try parsePrimary()
        }
        mutating func parsePrimary() throws(ParseError) -> ODataFilter {
            if symbol("(") {
                let inner = try parseOr()
                try expect(")")
                return inner
            }
            if !atEnd, pos + 1 < tokens.count, tokens[pos + 1].kind == .symbol("("), case .word(let w) = tokens[pos].kind,
               let function = TextFunction(rawValue: w.lowercased()) {
                pos += 2
                let path = try parsePath()
                try expect(",")
                let at = error("")
                guard case .string(let value) = try parseLiteral() else { throw ParseError("\(w) needs a quoted string, like \(w)(\(path.joined(separator: "/")),'text')", column: at.column) }
                try expect(")")
                return .text(function, path: path, value: value)
            }
            var path = try parsePath()
            if let last = path.last, ["any", "all"].contains(last.lowercased()), symbol("(") {
                path.removeLast()
                guard !path.isEmpty, !atEnd, case .word(let variable) = tokens[pos].kind else { throw error("a lambda needs a variable, like any(p: …)") }
                guard last.lowercased() == "any" else { throw ParseError("'all' is not supported; use not(…/any(…))", column: tokens[pos - 2].column) }
                pos += 1
                try expect(":")
                let body = try parseOr()
                try expect(")")
                return .any(path: path, variable: variable, body)
            }
            if keyword("in") {
                try expect("(")
                var values = [try parseLiteral()]
                while symbol(",") { values.append(try parseLiteral()) }
                try expect(")")
                return .isIn(path: path, values: values)
            }
            guard !atEnd, case .word(let op) = tokens[pos].kind, ["eq", "ne", "gt", "ge", "lt", "le"].contains(op.lowercased()) else {
                throw error("expected an operator (eq ne gt ge lt le in) after '\(path.joined(separator: "/"))', found '\(peekText)'")
            }
            pos += 1
            return .compare(path: path, op: op.lowercased(), value: try parseLiteral())
        }
        mutating func parsePath() throws(ParseError) -> [String] {
            guard !atEnd, case .word(let first) = tokens[pos].kind, first.first?.isLetter == true else {
                throw error("expected a property name, found '\(peekText)'")
            }
            pos += 1
            var path = [first]
            while symbol("/") {
                guard !atEnd, case .word(let next) = tokens[pos].kind, next.first?.isLetter == true else { throw error("expected a property name after '/', found '\(peekText)'") }
                pos += 1
                path.append(next)
            }
            return path
        }
        mutating func parseLiteral() throws(ParseError) -> JSONValue {
            guard !atEnd else { throw error("expected a value ('text', a number, true, false or null)") }
            let token = tokens[pos]
            switch token.kind {
            case .string(let s): pos += 1; return .string(s)
            case .word(let w):
                switch w.lowercased() {
                case "true": pos += 1; return true
                case "false": pos += 1; return false
                case "null": pos += 1; return .null
                default:
                    if let n = Double(w), n.isFinite { pos += 1; return .number(n) }
                    // Unquoted GUIDs are valid OData literals.
                    if UUID(uuidString: w) != nil { pos += 1; return .string(w) }
                    throw error("'\(w)' is not a value: quote text with single quotes ('\(w)')")
                }
            case .symbol(let c): throw error("expected a value, found '\(c)'")
            }
        }
    }
}
