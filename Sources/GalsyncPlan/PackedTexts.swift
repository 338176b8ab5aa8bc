/// A shaped payload's texts, in order: each after its length (`next`), or after its length
/// plus one, 0 standing for none (`nextOptional`).
struct PackedTexts {
    let bytes: [UInt8]
    var at: Int
    let end: Int

    mutating func next() -> Range<Int>? {
        guard at < end else { return nil }
        let (length, from) = LEB128.read(bytes, at: at)
        at = from + length
        return from..<at
    }

    mutating func nextOptional() -> Range<Int>? {
        guard at < end else { return nil }
        let (header, from) = LEB128.read(bytes, at: at)
        at = from + max(header - 1, 0)
        return header == 0 ? nil : from..<at
    }

    static func append(_ s: String, to out: inout [UInt8]) {
        LEB128.append(s.utf8.count, to: &out)
        out += s.utf8
    }

    static func appendOptional(_ s: String?, to out: inout [UInt8]) {
        guard let s else { out.append(0); return }
        LEB128.append(s.utf8.count + 1, to: &out)
        out += s.utf8
    }
}
