import GalsyncJSON

/// Updates of fields whose written value depends on what the mailbox holds now (`keep_edits`
/// fields, galsync's part of the notes, the categories): the writer reads those fields of just
/// those contacts, then builds the PATCH from them. An update that touches no such field is
/// built as before, at today's cost.
extension ContactProjection {
    /// The fields to read before this update can be written: those that read the current value
    /// and whose desired value differs from `old`'s (all of them when `old` is unknown).
    public func fieldsToRead(from old: ContactProjection?) -> [String] {
        guard table.readsCurrent else { return [] }
        return table.fields.filter { $0.readsCurrent && old?.field($0.key) != field($0.key) }.map(\.key)
    }

    /// The PATCH body from `old` to this, given the mailbox's `current` values of
    /// `fieldsToRead(from: old)`:
    /// - a `keep_edits` field gets the directory's value only when the mailbox holds what galsync
    ///   last wrote (`old`'s); a value the owner put there stays (and so does one galsync cannot
    ///   judge, with `old` unknown);
    /// - the notes keep the owner's text around galsync's part, which is replaced or appended;
    /// - the categories keep the owner's own, add galsync's, and drop those galsync put there
    ///   before and no longer configures.
    /// `stored`: what the state records for this contact, when `old` is a listing's view (whose
    /// categories are only the configured ones the contact holds): the categories galsync put
    /// there before are taken from it.
    public func patchBody(from old: ContactProjection?, current: [String: JSONValue], stored: ContactProjection? = nil) -> JSONValue {
        var body = patchBody(from: old).objectValue ?? [:]
        for key in fieldsToRead(from: old) {
            guard let i = table.index[key] else { continue }
            let f = table.fields[i]
            let desired = field(key) ?? .null
            switch f.source {
            case .notes:
                let now = current[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                let merged = PersonalNotes.merged(current: now, part: desired.stringValue)
                if merged != now { body[key] = merged.json }
            case .categories(let names):
                let now = (current[key]?.arrayValue ?? []).compactMap(\.stringValue)
                let wanted = Set(names.map { $0.lowercased() })
                let before = (old?.field(key)?.arrayValue ?? []) + (stored?.field(key)?.arrayValue ?? [])
                let dropped = Set(before.compactMap { $0.stringValue?.lowercased() }).subtracting(wanted)
                var result = now.filter { !dropped.contains($0.lowercased()) }
                for n in names where !result.contains(where: { $0.lowercased() == n.lowercased() }) { result.append(n) }
                if result != now { body[key] = .array(result.map(JSONValue.string)) }
            default:
                let now = Self.canonical(current[key] ?? .null, f.kind)
                guard now != desired, let last = old?.field(key), now == last else { continue }
                body[key] = Self.wire([key: desired])[key]
            }
        }
        return .object(body)
    }
}
