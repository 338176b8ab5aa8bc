/// The global cap on work in flight (`sync.concurrency`): a fair (FIFO) counting semaphore.
/// A `$batch` to one mailbox takes min(items, 4) slots, as Graph runs 4 of its items at once.
public actor RequestSlots {
    public let capacity: Int
    private var used = 0
    private var waiting: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    public private(set) var highWater = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public func acquire(_ count: Int) async {
        let n = min(count, capacity)
        if waiting.isEmpty, used + n <= capacity {
            used += n
            highWater = max(highWater, used)
            return
        }
        await withCheckedContinuation { waiting.append((n, $0)) }
    }

    public func release(_ count: Int) {
        used -= min(count, capacity)
        while let first = waiting.first, used + first.count <= capacity {
            waiting.removeFirst()
            used += first.count
            highWater = max(highWater, used)
            first.continuation.resume()
        }
    }
}
