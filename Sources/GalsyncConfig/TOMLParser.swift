/// A TOML 1.0 parser for galsync's configuration, in Swift, producing `ConfigValue`s.
///
/// Why not a library: the C++ parser behind TOMLKit asserts, aborting the process, on a
/// handful of malformed inputs (`a = [}]`, `[!x]` after a CRLF line or a byte-order mark):
/// ConfigFuzzTests found them, and a daemon that a typo in its config kills on reload is not
/// one ops teams keep. This parser never traps on any input: every problem is a
/// `TOMLSyntaxError` with the line and column. Dates and times are checked and returned as
/// `.other`, since no galsync key takes one. `TOMLParserTests` holds it to Python's `tomllib`.
struct TOMLParser {
    private let text: [Unicode.Scalar]
    private var at = 0
    private var depth = 0
    private let root = TOMLTableNode(origin: .explicit)
    private var current: TOMLTableNode

    static let maximumDepth = 64

    init(_ source: String) {
        var scalars = Array(source.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        text = scalars
        current = root
    }

    /// The document's top-level table.
    static func parse(_ source: String) throws(TOMLSyntaxError) -> [String: ConfigValue] {
        var parser = TOMLParser(source)
        try parser.document()
        return parser.root.values
    }

    // MARK: - Document

    private mutating func document() throws(TOMLSyntaxError) {
        while true {
            skipSpaces()
            guard let c = peek() else { return }
            switch c {
            case "#": try comment()
            case "\n", "\r": try newline()
            case "[": try header()
            default:
                try keyValue(into: current, inline: false)
                try endOfLine()
            }
        }
    }

    /// After a header or a key/value: only spaces, an optional comment, then a newline or the end.
    private mutating func endOfLine() throws(TOMLSyntaxError) {
        skipSpaces()
        guard let c = peek() else { return }
        if c == "#" { try comment(); return }
        if c == "\n" || c == "\r" { try newline(); return }
        throw error("expected the end of the line, saw \(describe(c))")
    }

    private mutating func comment() throws(TOMLSyntaxError) {
        at += 1
        while let c = peek(), c != "\n" {
            if c == "\r", peek(1) == "\n" { return }
            if isControl(c) { throw error("\(describe(c)) is not allowed in a comment") }
            at += 1
        }
    }

    private mutating func newline() throws(TOMLSyntaxError) {
        if peek() == "\r" {
            guard peek(1) == "\n" else { throw error("a carriage return must be followed by a line feed") }
            at += 2
        } else {
            at += 1
        }
    }

    // MARK: - Tables

    private mutating func header() throws(TOMLSyntaxError) {
        let line = position
        at += 1
        let isArray = peek() == "["
        if isArray { at += 1 }
        skipSpaces()
        let path = try key()
        skipSpaces()
        guard peek() == "]" else { throw error("expected ']' to close the table header, saw \(describe(peek()))") }
        at += 1
        if isArray {
            guard peek() == "]" else { throw error("expected ']]' to close the array-of-tables header") }
            at += 1
        }
        try endOfLine()
        var table = root
        for segment in path.dropLast() {
            switch table.entries[segment] {
            case nil:
                let next = TOMLTableNode(origin: .implicit)
                table.entries[segment] = .table(next)
                table = next
            case .table(let next)?:
                if next.origin == .inline { throw error("'\(segment)' is an inline table, which cannot be extended", at: line) }
                table = next
            case .tables(let array)?:
                table = array.tables[array.tables.count - 1]
            case .value?:
                throw error("'\(segment)' already holds a value, not a table", at: line)
            }
        }
        let last = path[path.count - 1]
        let name = path.joined(separator: ".")
        if isArray {
            switch table.entries[last] {
            case nil:
                let array = TOMLTableArray()
                table.entries[last] = .tables(array)
                current = array.append()
            case .tables(let array)?:
                current = array.append()
            default:
                throw error("[[\(name)]] cannot add to '\(name)', which is already defined as something else", at: line)
            }
        } else {
            switch table.entries[last] {
            case nil:
                let next = TOMLTableNode(origin: .explicit)
                table.entries[last] = .table(next)
                current = next
            case .table(let next)? where next.origin == .implicit:
                next.origin = .explicit
                current = next
            default:
                throw error("[\(name)] is defined twice", at: line)
            }
        }
    }

    /// `key = value` into `table`; a dotted key makes or enters the tables it names.
    private mutating func keyValue(into table: TOMLTableNode, inline: Bool) throws(TOMLSyntaxError) {
        let line = position
        let path = try key()
        skipSpaces()
        guard peek() == "=" else { throw error("expected '=' after the key '\(path.joined(separator: "."))', saw \(describe(peek()))") }
        at += 1
        skipSpaces()
        let value = try self.value()
        var target = table
        for segment in path.dropLast() {
            switch target.entries[segment] {
            case nil:
                let next = TOMLTableNode(origin: .dotted)
                target.entries[segment] = .table(next)
                target = next
            case .table(let next)? where next.origin == .dotted || next.origin == .implicit:
                // A table only headers passed through ([a.b.c] makes a.b) is open to dotted keys
                // once; after them a header may no longer name it.
                next.origin = .dotted
                target = next
            default:
                throw error("'\(path.joined(separator: "."))' extends '\(segment)', which is already defined elsewhere", at: line)
            }
        }
        let last = path[path.count - 1]
        guard target.entries[last] == nil else { throw error("'\(path.joined(separator: "."))' is defined twice", at: line) }
        target.entries[last] = value
        _ = inline
    }

    // MARK: - Keys

    private mutating func key() throws(TOMLSyntaxError) -> [String] {
        var path: [String] = []
        while true {
            skipSpaces()
            guard let c = peek() else { throw error("expected a key, found the end of the file") }
            if c == "\"" {
                if peek(1) == "\"", peek(2) == "\"" { throw error("a key cannot be a multi-line string") }
                path.append(try basicString())
            } else if c == "'" {
                if peek(1) == "'", peek(2) == "'" { throw error("a key cannot be a multi-line string") }
                path.append(try literalString())
            } else if isBareKey(c) {
                let start = at
                while let b = peek(), isBareKey(b) { at += 1 }
                path.append(string(start..<at))
            } else {
                throw error("expected a key (letters, digits, '_', '-', or a quoted string), saw \(describe(c))")
            }
            skipSpaces()
            guard peek() == "." else { return path }
            // Each segment is a table deeper: bounded like nested lists, so that building
            // and reading the tables never recurses without limit.
            guard path.count < Self.maximumDepth else { throw error("a key of more than \(Self.maximumDepth) dotted parts") }
            at += 1
        }
    }

    // MARK: - Values

    private mutating func value() throws(TOMLSyntaxError) -> TOMLNode {
        guard let c = peek() else { throw error("expected a value, found the end of the file") }
        switch c {
        case "\"":
            if peek(1) == "\"", peek(2) == "\"" { return .value(.string(try multilineBasicString())) }
            return .value(.string(try basicString()))
        case "'":
            if peek(1) == "'", peek(2) == "'" { return .value(.string(try multilineLiteralString())) }
            return .value(.string(try literalString()))
        case "[": return try nested { (p: inout TOMLParser) throws(TOMLSyntaxError) in try p.array() }
        case "{": return try nested { (p: inout TOMLParser) throws(TOMLSyntaxError) in try p.inlineTable() }
        case "t" where matches("true"):
            at += 4
            return .value(.bool(true))
        case "f" where matches("false"):
            at += 5
            return .value(.bool(false))
        default:
            if c == "+" || c == "-" || c == "." || c == "i" || c == "n" || isDigit(c) { return .value(try number()) }
            throw error("expected a value (a quoted string, a number, true/false, [a list]), saw \(describe(c))")
        }
    }

    private mutating func nested(_ body: (inout TOMLParser) throws(TOMLSyntaxError) -> TOMLNode) throws(TOMLSyntaxError) -> TOMLNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw error("lists and tables are nested more than \(Self.maximumDepth) deep") }
        return try body(&self)
    }

    private mutating func array() throws(TOMLSyntaxError) -> TOMLNode {
        at += 1
        var items: [ConfigValue] = []
        while true {
            try skipSpacesNewlinesAndComments()
            guard let c = peek() else { throw error("the list is not closed with ']'") }
            if c == "]" { at += 1; return .value(.array(items)) }
            if c == "," { throw error("expected a value or ']', saw ','") }
            items.append(try value().configValue)
            try skipSpacesNewlinesAndComments()
            switch peek() {
            case ","?: at += 1
            case "]"?: at += 1; return .value(.array(items))
            case let other: throw error("expected ',' or ']' in the list, saw \(describe(other))")
            }
        }
    }

    private mutating func inlineTable() throws(TOMLSyntaxError) -> TOMLNode {
        at += 1
        let table = TOMLTableNode(origin: .inline)
        skipSpaces()
        if peek() == "}" { at += 1; return .table(table) }
        while true {
            skipSpaces()
            try keyValue(into: table, inline: true)
            skipSpaces()
            switch peek() {
            case ","?: at += 1
            case "}"?: at += 1; return .table(table)
            case let other: throw error("expected ',' or '}' in the inline table, saw \(describe(other)) (an inline table stays on one line)")
            }
        }
    }

    // MARK: - Strings

    private mutating func basicString() throws(TOMLSyntaxError) -> String {
        at += 1
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw error("the string is not closed with '\"'") }
            switch c {
            case "\"": at += 1; return String(out)
            case "\\": out.append(try escape())
            case "\n", "\r": throw error("the string is not closed with '\"' before the end of the line")
            default:
                if isControl(c) { throw error("\(describe(c)) is not allowed in a string; write it as an escape") }
                out.append(c)
                at += 1
            }
        }
    }

    private mutating func multilineBasicString() throws(TOMLSyntaxError) -> String {
        at += 3
        skipFirstNewline()
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw error("the string is not closed with '\"\"\"'") }
            if closesMultiline(with: "\"", into: &out) { return String(out) }
            if c == "\\" {
                var look = at + 1
                while look < text.count, text[look] == " " || text[look] == "\t" { look += 1 }
                if look < text.count, text[look] == "\n" || text[look] == "\r" {
                    at = look
                    try skipSpacesNewlinesOnly()
                    continue
                }
                out.append(try escape())
                continue
            }
            if try multilineLineEnd(c, into: &out) { continue }
            if c != "\n", isControl(c) { throw error("\(describe(c)) is not allowed in a string; write it as an escape") }
            out.append(c)
            at += 1
        }
    }

    private mutating func literalString() throws(TOMLSyntaxError) -> String {
        at += 1
        let start = at
        while true {
            guard let c = peek() else { throw error("the string is not closed with \"'\"") }
            if c == "'" { at += 1; return string(start..<(at - 1)) }
            if c == "\n" || c == "\r" { throw error("the string is not closed with \"'\" before the end of the line") }
            if isControl(c) { throw error("\(describe(c)) is not allowed in a literal string") }
            at += 1
        }
    }

    private mutating func multilineLiteralString() throws(TOMLSyntaxError) -> String {
        at += 3
        skipFirstNewline()
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw error("the string is not closed with \"'''\"") }
            if closesMultiline(with: "'", into: &out) { return String(out) }
            if try multilineLineEnd(c, into: &out) { continue }
            if c != "\n", isControl(c) { throw error("\(describe(c)) is not allowed in a literal string") }
            out.append(c)
            at += 1
        }
    }

    /// At `"""` or `\'\'\'`: the string ends. Up to two more quotes right before the closing
    /// three belong to the string (`""""x"""""` is `"x""`).
    private mutating func closesMultiline(with quote: Unicode.Scalar, into out: inout String.UnicodeScalarView) -> Bool {
        guard peek() == quote, peek(1) == quote, peek(2) == quote else { return false }
        var quotes = 3
        while quotes < 5, peek(quotes) == quote { quotes += 1 }
        for _ in 0..<(quotes - 3) { out.append(quote) }
        at += quotes
        return true
    }

    /// A CRLF inside a multi-line string is kept as LF; a lone CR is an error.
    private mutating func multilineLineEnd(_ c: Unicode.Scalar, into out: inout String.UnicodeScalarView) throws(TOMLSyntaxError) -> Bool {
        guard c == "\r" else { return false }
        guard peek(1) == "\n" else { throw error("a carriage return must be followed by a line feed") }
        out.append("\n")
        at += 2
        return true
    }

    private mutating func escape() throws(TOMLSyntaxError) -> Unicode.Scalar {
        at += 1
        guard let c = peek() else { throw error("the string ends inside an escape") }
        at += 1
        switch c {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let count = c == "u" ? 4 : 8
            var code: UInt32 = 0
            for _ in 0..<count {
                guard let h = peek(), let digit = hexValue(h) else { throw error("\\\(c) needs \(count) hexadecimal digits") }
                code = code << 4 | digit
                at += 1
            }
            guard let scalar = Unicode.Scalar(code) else { throw error("\\\(c) names \(String(code, radix: 16)), which is not a Unicode scalar value") }
            return scalar
        default:
            at -= 1
            throw error("unknown escape '\\\(c)'; write a backslash as '\\\\'")
        }
    }

    private mutating func skipFirstNewline() {
        if peek() == "\n" { at += 1 } else if peek() == "\r", peek(1) == "\n" { at += 2 }
    }

    // MARK: - Numbers, dates and times

    private mutating func number() throws(TOMLSyntaxError) -> ConfigValue {
        let start = at
        while let c = peek() {
            if c == " ", isDateTimeSpace(from: start) { at += 1; continue }
            if isValueEnd(c) { break }
            at += 1
        }
        let token = string(start..<at)
        if let date = TOMLDateTime.kind(token) { return .other(date) }
        if let value = TOMLNumber.parse(token) { return value }
        at = start
        throw error("'\(token)' is not a number, true/false, or a date (strings need quotes)")
    }

    /// A space inside `1979-05-27 07:32:00`: the date is complete and a time follows.
    private func isDateTimeSpace(from start: Int) -> Bool {
        at - start == 10 && string(start..<at).utf8.filter { $0 == UInt8(ascii: "-") }.count == 2
            && peek(1).map(isDigit) == true && peek(2).map(isDigit) == true && peek(3) == ":"
    }

    // MARK: - Scanning

    private var position: Int { at }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        at + offset < text.count ? text[at + offset] : nil
    }

    private func matches(_ word: String) -> Bool {
        var i = at
        for s in word.unicodeScalars {
            guard i < text.count, text[i] == s else { return false }
            i += 1
        }
        return i == text.count || isValueEnd(text[i])
    }

    private mutating func skipSpaces() {
        while let c = peek(), c == " " || c == "\t" { at += 1 }
    }

    private mutating func skipSpacesNewlinesOnly() throws(TOMLSyntaxError) {
        while let c = peek() {
            if c == " " || c == "\t" { at += 1 } else if c == "\n" || c == "\r" { try newline() } else { return }
        }
    }

    private mutating func skipSpacesNewlinesAndComments() throws(TOMLSyntaxError) {
        while let c = peek() {
            if c == " " || c == "\t" { at += 1 } else if c == "\n" || c == "\r" { try newline() } else if c == "#" { try comment() } else { return }
        }
    }

    private func string(_ range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: text[range])
        return String(view)
    }

    private func isBareKey(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || isDigit(c) || c == "_" || c == "-")
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }

    private func isValueEnd(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c == "," || c == "]" || c == "}" || c == "#"
    }

    /// TOML forbids control characters other than tab in comments and strings.
    private func isControl(_ c: Unicode.Scalar) -> Bool {
        (c.value < 0x20 && c != "\t") || c.value == 0x7F
    }

    private func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c.value {
        case 0x30...0x39: c.value - 0x30
        case 0x41...0x46: c.value - 0x41 + 10
        case 0x61...0x66: c.value - 0x61 + 10
        default: nil
        }
    }

    private func describe(_ c: Unicode.Scalar?) -> String {
        guard let c else { return "the end of the file" }
        if c == "\n" || c == "\r" { return "the end of the line" }
        if c.value < 0x20 || c.value == 0x7F || (!c.isASCII && c.properties.isWhitespace) {
            return "the character U+" + String(c.value, radix: 16, uppercase: true).leftPadded(to: 4)
        }
        return "'\(c)'"
    }

    private func error(_ message: String, at offset: Int? = nil) -> TOMLSyntaxError {
        let end = min(offset ?? at, text.count)
        var line = 1
        var column = 1
        for c in text[..<end] {
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return TOMLSyntaxError(line: line, column: column, message: message)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
