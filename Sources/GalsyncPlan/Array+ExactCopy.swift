extension Array where Element == UInt8 {
    /// A copy with no spare capacity: a packed user or projection is kept for a whole cycle,
    /// and appending leaves up to as much again allocated but unused.
    var exactCopy: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, n in
            n = withUnsafeBufferPointer { buffer.initialize(fromContentsOf: $0) }
        }
    }
}
