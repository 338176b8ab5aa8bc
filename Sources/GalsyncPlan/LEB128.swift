/// Lengths in the packed forms (`PackedProperties`, `PackedFields`) as unsigned LEB128: one
/// byte below 128, which nearly every directory value is.
enum LEB128 {
    static func append(_ n: Int, to out: inout [UInt8]) {
        var n = n
        while n >= 0x80 {
            out.append(UInt8(n & 0x7F) | 0x80)
            n >>= 7
        }
        out.append(UInt8(n))
    }

    /// The number at `start`, and where what follows it begins.
    static func read(_ bytes: [UInt8], at start: Int) -> (value: Int, next: Int) {
        var n = 0, shift = 0, at = start
        while at < bytes.count {
            let b = bytes[at]
            n |= Int(b & 0x7F) << shift
            at += 1
            if b < 0x80 { break }
            shift += 7
        }
        return (n, at)
    }
}
