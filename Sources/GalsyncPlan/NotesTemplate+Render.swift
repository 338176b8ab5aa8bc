import GalsyncConfig
import GalsyncJSON

extension NotesTemplate {
    /// The longest part galsync writes (Outlook's notes hold far more; phones show the start).
    static let maxLength = 4_000

    /// The template filled in for `user`: a missing value is empty, a list is joined with ", ".
    /// nil when nothing but whitespace is left.
    func render(_ user: UserProperties) -> String? {
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            case .property(let path):
                out += Self.text(user.value(path) ?? .null)
            }
        }
        let trimmed = out.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        let safe = String(String.UnicodeScalarView(trimmed.unicodeScalars.filter { $0 == "\n" || $0 == "\t" || $0.properties.generalCategory != .control }))
        guard safe.count > Self.maxLength else { return safe }
        return String(safe.prefix(Self.maxLength)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func text(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): s
        case .number(let n): n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): b ? "true" : "false"
        case .array(let items): items.map(text).filter { !$0.isEmpty }.joined(separator: ", ")
        default: ""
        }
    }
}
