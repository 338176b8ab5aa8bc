import GraphFilter

/// `[contact] notes`: the text of galsync's part of each contact's `personalNotes`, with
/// `{property}` placeholders (a user property, or one '/' into one) filled per user. Parsed and
/// checked once at load; `{{` and `}}` are literal braces.
public struct NotesTemplate: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case text(String)
        /// A user property path in Graph's spelling.
        case property([String])
    }

    public struct Mistake: Error, Sendable { public let message: String }

    /// As written in the configuration.
    public let text: String
    public let parts: [Part]

    /// The top-level user properties the placeholders read.
    public var properties: Set<String> {
        Set(parts.compactMap { if case .property(let p) = $0 { p[0] } else { nil } })
    }

    /// Parses `text`; the error says what is wrong and where.
    public init(_ text: String) throws(Mistake) {
        self.text = text
        var parts: [Part] = []
        var literal = ""
        var i = text.startIndex
        func fail(_ message: String) -> Mistake { Mistake(message: message) }
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "{", next < text.endIndex, text[next] == "{" { literal.append("{"); i = text.index(after: next); continue }
            if c == "}", next < text.endIndex, text[next] == "}" { literal.append("}"); i = text.index(after: next); continue }
            if c == "}" { throw fail("a '}' without its '{' (write '}}' for a brace)") }
            guard c == "{" else { literal.append(c); i = next; continue }
            guard let close = text[next...].firstIndex(of: "}") else { throw fail("a '{' without its '}' (write '{{' for a brace)") }
            let name = String(text[next..<close]).trimmingCharacters(in: .whitespaces)
            switch ContactPropertyCatalog.userSource(name) {
            case .failure(let e): throw fail("{\(name)}: \(e.message)")
            case .success(let source):
                guard source.kind != .object, source.kind != .objects else { throw fail("{\(name)}: it is an object; name one of its parts with '/'") }
                if !literal.isEmpty { parts.append(.text(literal)); literal = "" }
                parts.append(.property(source.path))
            }
            i = text.index(after: close)
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        self.parts = parts
    }
}
