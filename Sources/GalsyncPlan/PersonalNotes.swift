/// galsync's part of a contact's `personalNotes`, between two marker lines, so that what the
/// owner writes above or below it survives every update ("notes persistence"). A contact whose
/// markers the owner deleted gets galsync's part appended again, the owner's text kept.
public enum PersonalNotes {
    public static let start = "--- galsync ---"
    public static let end = "--- /galsync ---"

    /// galsync's part of `notes` (the text between the markers, trimmed); nil without both markers.
    public static func part(of notes: String?) -> String? {
        // Exchange may hand the text back with CRLF line ends.
        guard let notes = notes?.replacingOccurrences(of: "\r\n", with: "\n"), let s = notes.range(of: start), let e = notes.range(of: end, range: s.upperBound..<notes.endIndex) else { return nil }
        let inner = notes[s.upperBound..<e.lowerBound].trimmingCharacters(in: .newlines)
        return inner.isEmpty ? nil : inner
    }

    /// The part with its markers.
    public static func wrapped(_ part: String) -> String { "\(start)\n\(part)\n\(end)" }

    /// `current` with galsync's part set to `part`: replaced between the markers, or appended
    /// after the owner's text; removed (markers too) when `part` is nil. nil for empty notes.
    public static func merged(current: String?, part: String?) -> String? {
        let current = current ?? ""
        var before = current, after = ""
        if let s = current.range(of: start), let e = current.range(of: end, range: s.upperBound..<current.endIndex) {
            before = String(current[..<s.lowerBound])
            after = String(current[e.upperBound...])
        }
        let owner = (before.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "" : before)
        guard let part else {
            let text = (owner + after).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        var out = owner
        if !out.isEmpty, !out.hasSuffix("\n") { out += "\n" }
        if !owner.isEmpty, after.isEmpty, !current.contains(start) { out += "\n" }  // a blank line before an appended part
        out += wrapped(part) + after
        return out
    }
}
