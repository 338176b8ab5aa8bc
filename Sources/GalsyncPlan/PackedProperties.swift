import Foundation
import GalsyncJSON

/// A user's selected properties in one byte buffer: one entry per property, in
/// `DirectoryUser.selectedProperties` order, each a tag byte and, for text, a length and the
/// bytes. A 100,000-user directory held as parsed JSON dictionaries took ~1.7 KB a user; this
/// takes the text itself plus a byte or two a property (one allocation, ~300 bytes a user).
/// Values are read by scanning the entries, which costs less than a dictionary lookup for 19.
struct PackedProperties: Sendable, Equatable {
    private(set) var bytes: [UInt8] = []

    enum Tag: UInt8 {
        case absent, null, no, yes
        /// The user's id (the `id` property): not held twice.
        case id
        /// Text: the length, then the UTF-8 bytes (unescaped).
        case string
        /// An array of text only: the length of what follows, then each string as a length and its bytes.
        case strings
        /// Any other value (a number, an object, a mixed array): the length, then its canonical JSON.
        case json
    }

    /// One entry: its tag, its payload (after the length) and the whole entry.
    struct Slot {
        let tag: Tag
        let payload: Range<Int>
        let entry: Range<Int>
    }

    /// Appends the entry of the next property: `nil` when the property is absent.
    mutating func append(_ value: JSONValue?, id: String) {
        switch value {
        case nil: bytes.append(Tag.absent.rawValue)
        case .null?: bytes.append(Tag.null.rawValue)
        case .bool(let b)?: bytes.append((b ? Tag.yes : Tag.no).rawValue)
        case .string(let s)? where s == id: bytes.append(Tag.id.rawValue)
        case .string(let s)?:
            bytes.append(Tag.string.rawValue)
            Self.appendText(s, to: &bytes)
        case .array(let items)? where items.allSatisfy({ $0.stringValue != nil }):
            var payload: [UInt8] = []
            for case .string(let s) in items { Self.appendText(s, to: &payload) }
            bytes.append(Tag.strings.rawValue)
            LEB128.append(payload.count, to: &bytes)
            bytes += payload
        case let other?:
            var json: [UInt8] = []
            other.write(into: &json)
            bytes.append(Tag.json.rawValue)
            LEB128.append(json.count, to: &bytes)
            bytes += json
        }
    }

    /// Drops the spare capacity appending left (once every property is in).
    mutating func trim() { bytes = bytes.exactCopy }

    /// Appends an entry as another buffer holds it (one `slot(_:)` gave), unchanged.
    mutating func append(entry: Range<Int>, of other: PackedProperties) {
        bytes += other.bytes[entry]
    }

    /// Property `index`'s entry (absent past the last one held).
    func slot(_ index: Int) -> Slot {
        var at = 0
        for _ in 0..<index {
            guard at < bytes.count else { break }
            at = slot(at: at).entry.upperBound
        }
        guard at < bytes.count else { return Slot(tag: .absent, payload: at..<at, entry: at..<at) }
        return slot(at: at)
    }

    /// Every entry, in one scan.
    func slots() -> [Slot] {
        var out: [Slot] = []
        out.reserveCapacity(DirectoryUser.selectedProperties.count)
        var at = 0
        while at < bytes.count {
            out.append(slot(at: at))
            at = out[out.count - 1].entry.upperBound
        }
        return out
    }

    private func slot(at start: Int) -> Slot {
        let tag = Tag(rawValue: bytes[start]) ?? .absent
        switch tag {
        case .absent, .null, .no, .yes, .id:
            return Slot(tag: tag, payload: start + 1..<start + 1, entry: start..<start + 1)
        case .string, .strings, .json:
            let (length, from) = LEB128.read(bytes, at: start + 1)
            return Slot(tag: tag, payload: from..<from + length, entry: start..<from + length)
        }
    }

    /// The text of a `string` entry's payload (or of each item of a `strings` one).
    func text(_ range: Range<Int>) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    /// The items of a `strings` entry's payload, as ranges of `bytes`.
    func items(_ payload: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var at = payload.lowerBound
        while at < payload.upperBound {
            let (length, from) = LEB128.read(bytes, at: at)
            out.append(from..<from + length)
            at = from + length
        }
        return out
    }

    /// Property `index` as a JSON value; nil when absent.
    func value(_ index: Int, id: String) -> JSONValue? {
        value(slot(index), id: id)
    }

    func value(_ s: Slot, id: String) -> JSONValue? {
        switch s.tag {
        case .absent: return nil
        case .null: return .null
        case .no: return .bool(false)
        case .yes: return .bool(true)
        case .id: return .string(id)
        case .string: return .string(text(s.payload))
        case .strings: return .array(items(s.payload).map { .string(text($0)) })
        case .json: return JSONValue.parse(bytes.withUnsafeBufferPointer { Data(UnsafeBufferPointer(rebasing: $0[s.payload])) })
        }
    }

    /// Writes an entry's value as the canonical JSON `JSONValue.write(into:)` gives.
    func writeJSON(_ s: Slot, id: String, into out: inout [UInt8]) {
        switch s.tag {
        case .absent, .null: out += Self.nullBytes
        case .no: out += Self.falseBytes
        case .yes: out += Self.trueBytes
        case .id: JSONValue.string(id).write(into: &out)
        case .string: writeText(s.payload, into: &out)
        case .strings:
            out.append(UInt8(ascii: "["))
            for (i, item) in items(s.payload).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeText(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .json: out += bytes[s.payload]
        }
    }

    private static let nullBytes = Array("null".utf8), trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)

    private func writeText(_ range: Range<Int>, into out: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { JSONValue.writeString(utf8: UnsafeBufferPointer(rebasing: $0[range]), into: &out) }
    }

    private static func appendText(_ s: String, to out: inout [UInt8]) {
        LEB128.append(s.utf8.count, to: &out)
        out += s.utf8
    }
}
