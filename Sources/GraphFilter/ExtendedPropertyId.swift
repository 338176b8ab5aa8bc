/// Extended property ids as Exchange compares them: the type and the property set GUID are
/// case-insensitive, the `Name` part is case-sensitive.
public enum ExtendedPropertyId {
    /// The MAPI property types an id may name.
    public static let types: Set<String> = ["String", "Integer", "Boolean", "SystemTime", "Binary", "Long", "Double", "Guid", "StringArray"]

    /// `String {00020329-…} Name Tag` with the type and GUID in a canonical case; other strings unchanged.
    public static func canonical(_ id: String) -> String {
        let parts = id.split(separator: " ", maxSplits: 3).map(String.init)
        guard let type = parts.first else { return id }
        let canonicalType = types.first { $0.lowercased() == type.lowercased() } ?? type
        if parts.count == 2 { return "\(canonicalType) \(parts[1].lowercased())" }
        guard parts.count == 4 else { return id }
        let kind = parts[2].lowercased() == "name" ? "Name" : parts[2].lowercased() == "id" ? "Id" : parts[2]
        return "\(canonicalType) \(parts[1].lowercased()) \(kind) \(kind == "Id" ? parts[3].lowercased() : parts[3])"
    }
}
