import GalsyncJSON

/// What the simulator saw, for tests and benchmarks: requests by route and status, throttling,
/// concurrency high-water marks, token requests and rejections, and injected faults.
public struct SimCounters: Sendable {
    public var requests: [String: [Int: Int]] = [:]
    public var batchItems: [String: [Int: Int]] = [:]
    public var throttled = 0
    public var tokenRequests = 0
    public var tokensIssued = 0
    public var tokenRejections: [String: Int] = [:]
    public var contactWrites = 0
    public var mailboxReads = 0
    public var directoryReads = 0
    public var faults: [String: Int] = [:]
    /// Requests (batch items included) per mailbox owner, for benchmarks' lower bounds.
    public var mailboxRequests: [String: Int] = [:]
    /// The most `$batch` requests carried out at once.
    public var highestBatchesInFlight = 0
    /// User photo bytes served, and contact photos uploaded (with their bytes).
    public var photoDownloads = 0
    public var photoUploads = 0
    public var photoBytesUploaded = 0

    public init() {}

    public mutating func record(route: String, status: Int, inBatch: Bool) {
        if inBatch { batchItems[route, default: [:]][status, default: 0] += 1 }
        else { requests[route, default: [:]][status, default: 0] += 1 }
        if status == 429 { throttled += 1 }
    }

    /// Total top-level HTTP requests seen (a `$batch` counts once).
    public var totalRequests: Int { requests.values.reduce(0) { $0 + $1.values.reduce(0, +) } }

    public func json(highestConcurrency: [String: Int]) -> JSONValue {
        func table(_ t: [String: [Int: Int]]) -> JSONValue {
            .object(t.mapValues { .object(Dictionary(uniqueKeysWithValues: $0.map { (String($0.key), JSONValue.number(Double($0.value))) })) })
        }
        func num(_ n: Int) -> JSONValue { .number(Double(n)) }
        return [
            "requests": table(requests), "batchItems": table(batchItems), "totalRequests": num(totalRequests),
            "throttled": num(throttled), "tokenRequests": num(tokenRequests), "tokensIssued": num(tokensIssued),
            "tokenRejections": .object(tokenRejections.mapValues(num)), "contactWrites": num(contactWrites),
            "mailboxReads": num(mailboxReads), "directoryReads": num(directoryReads),
            "faults": .object(faults.mapValues(num)), "highestConcurrency": .object(highestConcurrency.mapValues(num)),
            "busiestMailboxRequests": num(mailboxRequests.values.max() ?? 0),
            "highestBatchesInFlight": num(highestBatchesInFlight),
            "batchItemsTotal": num(batchItems.values.reduce(0) { $0 + $1.values.reduce(0, +) }),
            "photoDownloads": num(photoDownloads), "photoUploads": num(photoUploads), "photoBytesUploaded": num(photoBytesUploaded),
        ]
    }
}
