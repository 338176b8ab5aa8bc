import Foundation

/// A small, strict JSON parser (RFC 8259) straight to `JSONValue`: several times faster than
/// going through `JSONDecoder`, which matters on the paths that read every batch response.
struct JSONParser {
    let bytes: [UInt8]
    var i = 0
    var depth = 0
    /// Objects at this nesting depth keep only the keys in `keep`; the other values are
    /// checked for well-formedness and skipped without being built.
    var pruneDepth = -1
    var keep: Set<String> = [] { didSet { keepBytes = keep.map { Array($0.utf8) } } }
    /// `keep` as bytes, to compare a pruned object's raw keys without making a String of each.
    private(set) var keepBytes: [[UInt8]] = []

    struct Failure: Error {}

    static func parse(_ data: Data, pruneDepth: Int = -1, keep: Set<String> = []) -> JSONValue? {
        var p = JSONParser(bytes: [UInt8](data))
        p.pruneDepth = pruneDepth
        p.keep = keep
        guard let v = try? p.value() else { return nil }
        p.skipSpace()
        guard p.i == p.bytes.count else { return Optional<JSONValue>.none }  // (a bare nil would be JSONValue.null)
        return v
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func value() throws -> JSONValue {
        skipSpace()
        guard i < bytes.count else { throw Failure() }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    /// Reads one value without building it.
    mutating func skip() throws {
        skipSpace()
        guard i < bytes.count else { throw Failure() }
        switch bytes[i] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = bytes[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            depth += 1
            defer { depth -= 1 }
            guard depth < 512 else { throw Failure() }
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == close { i += 1; return }
            while true {
                if isObject {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure() }
                    try skipString()
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure() }
                    i += 1
                }
                try skip()
                skipSpace()
                guard i < bytes.count else { throw Failure() }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == close { i += 1; return }
                throw Failure()
            }
        case UInt8(ascii: "\""): try skipString()
        default: _ = try value()  // numbers and literals allocate nothing
        }
    }

    mutating func skipString() throws {
        i += 1
        while i < bytes.count {
            let b = bytes[i]
            guard b >= 0x20 else { throw Failure() }
            if b == UInt8(ascii: "\"") { i += 1; return }
            guard b == UInt8(ascii: "\\") else { i += 1; continue }
            // The same escapes `string()` accepts, checked without building the text.
            guard i + 1 < bytes.count else { throw Failure() }
            switch bytes[i + 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                i += 2
            case UInt8(ascii: "u"):
                i += 2
                _ = try hex4()
            default: throw Failure()
            }
        }
        throw Failure()
    }

    mutating func literal(_ word: String) throws {
        for b in word.utf8 {
            guard i < bytes.count, bytes[i] == b else { throw Failure() }
            i += 1
        }
    }

    mutating func object() throws -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth < 512 else { throw Failure() }
        i += 1
        var out: [String: JSONValue] = [:]
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure() }
            // A plain key not kept is compared and passed as bytes (most keys of an answer's item
            // bodies; making a String of each and hashing it was a tenth of a first sync's CPU).
            var key: String?
            if depth == pruneDepth, let end = plainKeyEnd(), !keepBytes.contains(where: { $0.elementsEqual(bytes[(i + 1)..<end]) }) {
                i = end + 1
            } else {
                key = try string()
            }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure() }
            i += 1
            if let key, depth != pruneDepth || keep.contains(key) { out[key] = try value() } else { try skip() }
            skipSpace()
            guard i < bytes.count else { throw Failure() }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
            throw Failure()
        }
    }

    /// Where the string at `i` ends (its closing quote) when it is plain ASCII without escapes
    /// or control characters; nil otherwise (then `string()` reads or refuses it: other bytes
    /// may decode, or be repaired, to a kept key).
    func plainKeyEnd() -> Int? {
        var j = i + 1
        while j < bytes.count {
            let b = bytes[j]
            if b == UInt8(ascii: "\"") { return j }
            if b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80 { return nil }
            j += 1
        }
        return nil
    }

    mutating func array() throws -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth < 512 else { throw Failure() }
        i += 1
        var out: [JSONValue] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
        while true {
            out.append(try value())
            skipSpace()
            guard i < bytes.count else { throw Failure() }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
            throw Failure()
        }
    }

    mutating func string() throws -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") {
            guard bytes[i] >= 0x20 else { throw Failure() }
            i += 1
        }
        guard i < bytes.count else { throw Failure() }
        if bytes[i] == UInt8(ascii: "\"") {
            defer { i += 1 }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }
        var out = [UInt8](bytes[start..<i])
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
            guard b >= 0x20 else { throw Failure() }
            if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
            i += 1
            guard i < bytes.count else { throw Failure() }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw Failure() }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(scalar).utf8))
            default: throw Failure()
            }
        }
        throw Failure()
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else { throw Failure() }
        i += 4
        return v
    }

    mutating func number() throws -> Double {
        let start = i
        while i < bytes.count, (bytes[i] >= 0x30 && bytes[i] <= 0x39) || [UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[i]) {
            i += 1
        }
        guard i > start, let d = Double(String(decoding: bytes[start..<i], as: UTF8.self)), d.isFinite else { throw Failure() }
        return d
    }
}
