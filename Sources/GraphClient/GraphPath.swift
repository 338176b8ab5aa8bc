/// Builds Graph URL paths from values that come from outside (user ids, UPNs, group ids,
/// folder and contact ids), so that no value can add a path segment or a query: everything
/// but RFC 3986's unreserved characters and `@` is percent-encoded, byte by byte, in UTF-8.
public enum GraphPath {
    /// One escaped path segment: `O'Brien#1/x` → `O%27Brien%231%2Fx`. A segment of only dots
    /// (`.`, `..`) is escaped too (`%2E%2E`): left as it is, libcurl and any proxy would resolve
    /// it as "this" or "the parent" segment (RFC 3986 §5.2.4) and `/users/../groups` would
    /// become `/groups`.
    public static func segment(_ value: String) -> String {
        if value == "." || value == ".." { return percentEncoding(value) { _ in false } }
        return percentEncoding(value, keeping: isUnreserved)
    }

    /// An OData string literal: quoted, with `'` doubled, so that a value such as
    /// `O'Brien's contacts` (or `x' or 1 eq 1 or 'y`) stays one literal and cannot widen a filter.
    public static func odataString(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A query option's value escaped for the URL: everything but unreserved characters and the
    /// OData punctuation that must stay readable (`'`, `(`, `)`, `,`, `$`, `/`, `:`, space as `%20`).
    public static func queryValue(_ value: String) -> String {
        percentEncoding(value) { isUnreserved($0) || queryPunctuation.contains($0) }
    }

    /// `value` with every UTF-8 byte `keep` refuses written as %XX (unchanged, without a copy
    /// of its bytes, when nothing needs escaping).
    private static func percentEncoding(_ value: String, keeping keep: (UInt8) -> Bool) -> String {
        var value = value
        return value.withUTF8 { bytes in
            if bytes.allSatisfy(keep) { return String(decoding: bytes, as: UTF8.self) }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count * 3)
            for b in bytes {
                if keep(b) { out.append(b); continue }
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    private static let queryPunctuation: Set<UInt8> = Set("'(),$/:".utf8)
    private static let hex = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "@"): true
        default: false
        }
    }
}
