import Foundation
import GraphSimulator

/// A fuzz run's seed (`GALSYNC_FUZZ_SEED`, decimal or 0x-hex, else random) and time box: an
/// iteration cap and `GALSYNC_FUZZ_SECONDS` of wall-clock time (default 5) from its creation,
/// whichever ends first. Shared by every fuzz suite.
public struct FuzzRun: Sendable {
    public let seed: UInt64
    public let cap: Int
    let budget: Duration
    let started: ContinuousClock.Instant

    public init(cap: Int, environment: [String: String] = ProcessInfo.processInfo.environment) {
        seed = Self.number(environment["GALSYNC_FUZZ_SEED"]) ?? UInt64.random(in: 0...UInt64.max)
        let seconds = environment["GALSYNC_FUZZ_SECONDS"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? 5
        budget = .milliseconds(Int((seconds.isFinite ? min(max(seconds, 0), 86_400) : 5) * 1000))
        self.cap = cap
        started = ContinuousClock.now
        // Written before the first iteration: a crash inside a dependency (an assertion, a trap)
        // kills the process before any test failure could report the seed.
        FileHandle.standardError.write(Data("fuzz: GALSYNC_FUZZ_SEED=0x\(String(seed, radix: 16)) replays this run\n".utf8))
    }

    /// Decimal, or hexadecimal with 0x.
    static func number(_ text: String?) -> UInt64? {
        guard let t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { return nil }
        if t.lowercased().hasPrefix("0x") { return UInt64(t.dropFirst(2), radix: 16) }
        return UInt64(t)
    }

    /// Whether iteration `i` may start: under the cap and, after the first, within the budget.
    public func proceed(_ i: Int) -> Bool {
        i < cap && (i == 0 || ContinuousClock.now - started < budget)
    }

    /// Iteration `i`'s own generator, so a failing iteration replays however fast the machine is.
    public func rng(_ i: Int) -> SeededRandom {
        var mix = SeededRandom(seed: seed ^ (UInt64(i) &* 0xD6E8_FEB8_6659_FD93))
        return SeededRandom(seed: mix.next())
    }

    /// The iterations to run, in order: `for i in run.iterations` stops at the cap or when the
    /// time budget is spent (checked before each one, as `proceed`).
    public var iterations: some Sequence<Int> {
        sequence(state: 0) { [self] i in
            defer { i += 1 }
            return proceed(i) ? i : nil
        }
    }

    /// Bytes for a failure message: printable ASCII as is, anything else as \xNN, cut at `limit`.
    public static func preview(_ bytes: some Collection<UInt8>, limit: Int = 300) -> String {
        var out = ""
        for b in bytes.prefix(limit) {
            if b >= 0x20, b < 0x7F, b != UInt8(ascii: "\\") {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                let hex = String(b, radix: 16, uppercase: true)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return bytes.count > limit ? "\(out)… (\(bytes.count) bytes)" : out
    }

    /// What a failure message names so the iteration can be replayed.
    public func tag(_ i: Int) -> String { "seed \(seed) (GALSYNC_FUZZ_SEED=\(seed) replays it), iteration \(i)" }
}

/// A suite's input generator: its own domain methods over these shared draws.
public protocol FuzzGenerator {
    var rng: SeededRandom { get set }
}

extension FuzzGenerator {
    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    public mutating func chance(_ p: Double) -> Bool { rng.chance(p) }
    public mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    public mutating func sample<T>(_ items: [T], _ count: Int) -> [T] { Array(items.shuffled(using: &rng).prefix(count)) }
}
