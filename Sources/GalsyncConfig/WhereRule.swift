import GalsyncJSON
import GraphFilter

/// A `where` rule (`[directory] where`, `[mailboxes] where`): the expression as written and
/// its parsed, checked form, with Graph's spelling of each property. Parsed once at config
/// load; galsync evaluates it on the snapshot (Graph's `$filter` cannot express most of it on
/// `/users/delta`).
public struct WhereRule: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let filter: ODataFilter

    /// Parses and checks `text` against Graph's user type; the error carries the column.
    public init(_ text: String) throws(ODataFilter.ParseError) {
        self.text = text
        filter = try UserPropertyCatalog.check(try ODataFilter.parse(text), in: text)
    }

    /// The top-level user properties the rule reads: the delta `$select` must carry them.
    public var properties: Set<String> { filter.properties }

    /// Whether a record whose top-level properties `property` gives passes the rule.
    public func keeps(_ property: (String) -> JSONValue?) -> Bool { filter.matches(property: property) }

    public var description: String { text }
}
