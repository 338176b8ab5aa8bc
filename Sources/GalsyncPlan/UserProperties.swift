import GalsyncJSON

/// A user's properties as one projection reads them: the selected ones from their packed
/// entries, the extra ones (`onPremisesExtensionAttributes`, `usageLocation`, a copy's own
/// fields…) from one decoding of the extra entry, made once per projection rather than once
/// per field that reads it.
struct UserProperties {
    let user: DirectoryUser
    private let extras: [String: JSONValue]

    init(_ user: DirectoryUser) {
        self.user = user
        extras = user.extraProperties
    }

    /// Property `key` as JSON; nil when absent.
    func value(_ key: String) -> JSONValue? {
        DirectoryUser.index[key] != nil ? user.value(key) : extras[key]
    }

    /// A path: a property, or one step into it.
    func value(_ path: [String]) -> JSONValue? {
        let top = value(path[0])
        return path.count > 1 ? top?[path[1]] : top
    }
}
