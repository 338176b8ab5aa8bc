/// Wraps one line of text to a terminal's width at spaces, the lines after the first indented
/// (a hanging indent), so that a 500-character reason from Graph reads as a paragraph.
public enum TextWrap {
    public static func wrap(_ text: String, width: Int, indent: String) -> String {
        let width = max(width, indent.count + 20)
        let lead = String(text.prefix { $0 == " " })
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let prefix = lines.isEmpty ? lead : indent
            if !current.isEmpty, prefix.count + current.count + 1 + word.count > width {
                lines.append(prefix + current)
                current = String(word)
            } else {
                current += current.isEmpty ? String(word) : " " + word
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append((lines.isEmpty ? lead : indent) + current) }
        return lines.joined(separator: "\n")
    }
}
