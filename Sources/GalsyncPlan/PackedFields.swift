import Foundation
import GalsyncJSON

/// A contact's field values in one byte buffer, in its `ContactFieldTable`'s order. A cycle holds one projection per directory user: as `[JSONValue]` (strings, an
/// address dictionary, an e-mail array) each took ~1.1 KB. Each field is a header (LEB128) and
/// a payload: 0 is `null`; 2n+1 is n bytes in the field's `Shape` (its texts, unescaped, each
/// after its length: no quotes, keys or brackets); 2n+2 is n bytes of canonical JSON, for a
/// value of another shape (which a canonical projection never has). Equal values have equal
/// bytes, so fields are compared without being decoded; JSON is written back byte for byte as
/// `JSONValue.write` writes the value.
struct PackedFields: Sendable, Equatable {
    private(set) var bytes: [UInt8] = []

    /// What a field's value is when it is not `null`.
    enum Shape {
        /// A string.
        case text
        /// An array of strings (`businessPhones`).
        case texts
        /// An array of `{"address": string, "name": string or null}` (`emailAddresses`).
        case emails
        /// An object of `addressKeys`' strings, any of them left out (`businessAddress`).
        case address
        /// Always kept as canonical JSON (`primaryEmailAddress`'s object).
        case json
    }

    /// The address parts, sorted (the order `encoded()` writes them in).
    static let addressKeys = ["city", "countryOrRegion", "postalCode", "state", "street"]

    /// One field: its form and where its payload lies.
    struct Entry: Equatable {
        enum Form { case null, shaped, json }
        let form: Form
        let payload: Range<Int>
    }

    /// `values`: one per field of `table`, in its order. `scratch`: reused to write them.
    init(_ values: [JSONValue], table: ContactFieldTable, scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        for (i, value) in values.enumerated() {
            guard value != .null else { scratch.append(0); continue }
            let start = scratch.count
            let shaped = Self.writeShaped(value, table.fields[i].shape, into: &scratch)
            if !shaped {
                scratch.removeSubrange(start...)
                value.write(into: &scratch)
            }
            let header = 2 * (scratch.count - start) + (shaped ? 1 : 2)
            if header < 0x80 { scratch.insert(UInt8(header), at: start) } else {
                var prefix: [UInt8] = []
                LEB128.append(header, to: &prefix)
                scratch.insert(contentsOf: prefix, at: start)
            }
        }
        bytes = scratch.exactCopy
    }

    /// Every field, in one scan.
    func entries() -> [Entry] {
        var out: [Entry] = []
        out.reserveCapacity(16)
        var at = 0
        while at < bytes.count {
            let (header, from) = LEB128.read(bytes, at: at)
            let length = header == 0 ? 0 : (header - 1) / 2
            out.append(Entry(form: header == 0 ? .null : header % 2 == 1 ? .shaped : .json, payload: from..<from + length))
            at = from + length
        }
        return out
    }

    /// Whether two fields hold the same value (of this buffer and `other`'s).
    func same(_ a: Entry, as b: Entry, in other: PackedFields) -> Bool {
        a.form == b.form && bytes[a.payload] == other.bytes[b.payload]
    }

    /// Field `index`'s value (`shape` from `shapes`).
    func value(_ e: Entry, _ shape: Shape) -> JSONValue {
        switch e.form {
        case .null: return .null
        case .json: return JSONValue.parse(Data(bytes[e.payload])) ?? .null
        case .shaped: break
        }
        var texts = PackedTexts(bytes: bytes, at: e.payload.lowerBound, end: e.payload.upperBound)
        switch shape {
        case .json:
            return .null  // never shaped
        case .text:
            return .string(text(e.payload))
        case .texts:
            var items: [JSONValue] = []
            while let r = texts.next() { items.append(.string(text(r))) }
            return .array(items)
        case .emails:
            var items: [JSONValue] = []
            while let address = texts.next() {
                items.append(["address": .string(text(address)), "name": texts.nextOptional().map { .string(text($0)) } ?? .null])
            }
            return .array(items)
        case .address:
            var parts: [String: JSONValue] = [:]
            for key in Self.addressKeys { if let r = texts.nextOptional() { parts[key] = .string(text(r)) } }
            return .object(parts)
        }
    }

    /// The object of every hashed field of `table` (`{"businessAddress":…,"businessPhones":…,…}`),
    /// compact with sorted keys: byte for byte what `JSONValue.encoded()` gives for those fields.
    func writeObject(into out: inout [UInt8], table: ContactFieldTable) {
        out.append(UInt8(ascii: "{"))
        for (i, e) in entries().enumerated() where table.hashed[i] {
            out += table.fields[i].prefix
            writeJSON(e, table.fields[i].shape, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private func writeJSON(_ e: Entry, _ shape: Shape, into out: inout [UInt8]) {
        switch e.form {
        case .null: out += Self.null; return
        case .json: out += bytes[e.payload]; return
        case .shaped: break
        }
        var texts = PackedTexts(bytes: bytes, at: e.payload.lowerBound, end: e.payload.upperBound)
        switch shape {
        case .json:
            out += Self.null  // never shaped
        case .text:
            writeText(e.payload, into: &out)
        case .texts:
            out.append(UInt8(ascii: "["))
            var first = true
            while let r = texts.next() {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeText(r, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .emails:
            out.append(UInt8(ascii: "["))
            var first = true
            while let address = texts.next() {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out += Self.addressPrefix
                writeText(address, into: &out)
                out += Self.namePrefix
                if let name = texts.nextOptional() { writeText(name, into: &out) } else { out += Self.null }
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        case .address:
            out.append(UInt8(ascii: "{"))
            var first = true
            for key in Self.addressKeyBytes {
                guard let r = texts.nextOptional() else { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out += key
                writeText(r, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Writes `value` in `shape`'s form; false (having written part of it) when it has another shape.
    private static func writeShaped(_ value: JSONValue, _ shape: Shape, into out: inout [UInt8]) -> Bool {
        switch (shape, value) {
        case (.text, .string(let s)):
            out += s.utf8
        case (.texts, .array(let items)):
            for item in items {
                guard case .string(let s) = item else { return false }
                PackedTexts.append(s, to: &out)
            }
        case (.emails, .array(let items)):
            for item in items {
                guard case .object(let o) = item, o.count == 2, case .string(let address)? = o["address"], let name = o["name"] else { return false }
                PackedTexts.append(address, to: &out)
                switch name {
                case .null: PackedTexts.appendOptional(nil, to: &out)
                case .string(let s): PackedTexts.appendOptional(s, to: &out)
                default: return false
                }
            }
        case (.address, .object(let o)):
            guard o.keys.allSatisfy(addressKeys.contains) else { return false }
            for key in addressKeys {
                switch o[key] {
                case nil: PackedTexts.appendOptional(nil, to: &out)
                case .string(let s)?: PackedTexts.appendOptional(s, to: &out)
                default: return false
                }
            }
        default:
            return false
        }
        return true
    }

    private func text(_ r: Range<Int>) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[r]), as: UTF8.self) }
    }

    private func writeText(_ r: Range<Int>, into out: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { JSONValue.writeString(utf8: UnsafeBufferPointer(rebasing: $0[r]), into: &out) }
    }

    private static let null = Array("null".utf8)
    private static let addressPrefix = Array(#"{"address":"#.utf8), namePrefix = Array(#","name":"#.utf8)
    private static let addressKeyBytes = addressKeys.map { Array("\"\($0)\":".utf8) }
}
