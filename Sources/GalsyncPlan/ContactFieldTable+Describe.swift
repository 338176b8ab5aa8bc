/// The effective mapping in words, for `check` and `config show`.
extension ContactFieldTable {
    /// The built-in fields' sources.
    static let builtInSources = [
        "businessAddress": "streetAddress, city, state, postalCode, country",
        "businessPhones": "businessPhones (the first 2)",
        "emailAddresses": "mail, named with displayName",
    ]

    /// "mobilePhone ← mobilePhone", "nickName ← mailNickname (create_only)", one per field.
    public var mapping: [String] {
        fields.map { f in
            let from = switch f.source {
            case .builtIn: Self.builtInSources[f.key] ?? f.key
            case .user(let path): path.joined(separator: "/")
            case .copy: "the source contact's \(f.key)"
            case .none: "nothing (exclude_fields: cleared)"
            case .notes(let t): "galsync's part of the notes: \"\(t.text.replacingOccurrences(of: "\n", with: "\\n"))\""
            case .categories(let c): c.map { "\"\($0)\"" }.joined(separator: ", ") + ", beside the owner's own"
            case .template(let t): "\"\(t.text)\""
            }
            return "\(f.key) ← \(from)" + (f.policy == .overwrite ? "" : " (\(f.policy.rawValue))")
        }
    }

    /// Contact properties Exchange ActiveSync has no element for, so phones never show them
    /// (MS-ASCNTC 2.2.2, the Contact class: no Initials or Profession element).
    public static let notOnPhones: Set<String> = ["initials", "profession"]
}
