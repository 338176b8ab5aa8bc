import Foundation
import GalsyncJSON

/// A contact's managed field values in one byte buffer, in `ContactProjection.sortedKeys`
/// order: each its canonical JSON (`JSONValue.write`) after its length, a length of 0 standing
/// for `null`. A cycle holds one projection per directory user; as `[JSONValue]` (strings,
/// an address dictionary, an e-mail array) each took ~1.1 KB, packed ~0.4 KB. Equal values
/// have equal bytes, so fields are compared without being decoded.
struct PackedFields: Sendable, Equatable {
    private(set) var bytes: [UInt8] = []

    /// `values`: one per managed field, in `sortedKeys` order. `scratch`: reused to write them.
    init(_ values: [JSONValue], scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        for value in values {
            guard value != .null else { scratch.append(0); continue }
            let start = scratch.count
            value.write(into: &scratch)
            let length = scratch.count - start
            if length < 0x80 { scratch.insert(UInt8(length), at: start) } else {
                var prefix: [UInt8] = []
                LEB128.append(length, to: &prefix)
                scratch.insert(contentsOf: prefix, at: start)
            }
        }
        bytes = scratch.exactCopy
    }

    /// Where each value's JSON lies (empty for `null`), in one scan.
    func ranges() -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(ContactProjection.sortedKeys.count)
        var at = 0
        while at < bytes.count {
            let (length, from) = LEB128.read(bytes, at: at)
            out.append(from..<from + length)
            at = from + length
        }
        return out
    }

    /// Value `index`'s canonical JSON; empty for `null`.
    func fragment(_ index: Int) -> ArraySlice<UInt8> {
        bytes[ranges()[index]]
    }

    func value(_ range: Range<Int>) -> JSONValue {
        guard !range.isEmpty else { return .null }
        return JSONValue.parse(Data(bytes[range])) ?? .null
    }

    /// The object of every field (`{"businessAddress":…,"businessPhones":…,…}`), compact with
    /// sorted keys: byte for byte what `JSONValue.encoded()` gives for `ContactProjection.fields`.
    func writeObject(into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, range) in ranges().enumerated() {
            out += ContactProjection.sortedKeys[i].prefix
            if range.isEmpty { out += Self.null } else { out += bytes[range] }
        }
        out.append(UInt8(ascii: "}"))
    }

    private static let null = Array("null".utf8)
}
