import Foundation
import GalsyncJSON

/// The snapshot's text form of a user: the JSON object of its selected properties, compact
/// with sorted keys (`JSONValue.encoded()`), as `state.db` has always stored it.
extension DirectoryUser {
    /// A user from a snapshot row; nil when the text is not a JSON object.
    public init?(id: String, json: String) {
        guard let object = JSONValue.parse(Data(json.utf8))?.objectValue else { return nil }
        // Keys beyond the selected ones were extra properties when the row was written.
        self.init(id: id, properties: object, extra: Set(object.keys.filter { Self.index[$0] == nil }))
    }

    /// The selected properties present, as the snapshot row's text: byte for byte what
    /// `JSONValue.object(properties).encoded()` gives, written from the packed form.
    public var json: String {
        let slots = packed.slots()
        if slots.count > Self.extraSlot {
            // With extra properties (a where rule reads them): the slow, general way.
            return String(decoding: JSONValue.object(properties).encoded(), as: UTF8.self)
        }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(packed.bytes.count + 256)
        var first = true
        for (i, prefix) in Self.sortedKeys where i < slots.count && slots[i].tag != .absent {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out += prefix
            packed.writeJSON(slots[i], id: id, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// This user with the selected (and `extra`) properties of a delta entry laid over it: a
    /// later round leaves out the properties that did not change (the others are dropped).
    public func merging(_ entry: [String: JSONValue], extra: Set<String> = []) -> DirectoryUser {
        var merged = PackedProperties()
        let slots = packed.slots()
        for (i, key) in Self.selectedProperties.enumerated() {
            if let value = entry[key] { merged.append(value, id: id) }
            else if i < slots.count { merged.append(entry: slots[i].entry, of: packed) }
            else { merged.append(nil, id: id) }
        }
        var others = extraProperties
        for key in extra where Self.index[key] == nil { if let value = entry[key] { others[key] = value } }
        if !others.isEmpty { merged.append(.object(others), id: id) }
        merged.trim()
        return DirectoryUser(id: id, packed: merged)
    }

    /// The selected properties' places, in sorted-key order, each with its `"key":` bytes.
    static let sortedKeys: [(index: Int, prefix: [UInt8])] = selectedProperties.enumerated()
        .sorted { $0.element < $1.element }
        .map { ($0.offset, Array("\"\($0.element)\":".utf8)) }
}
