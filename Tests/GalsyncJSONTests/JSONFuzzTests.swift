import Foundation
import GalsyncJSON
import FuzzSupport
import GraphSimulator
import Testing

/// Fuzz and property tests of `JSONValue.parse` (full and pruned) and `encoded()`, the code that
/// reads every Graph answer: random bytes, mutated documents and nesting around the depth limit
/// are parsed or refused, never a crash; random values round-trip and encode deterministically;
/// the pruned parse galsync reads `$batch` answers with agrees with the full one; documents
/// Foundation's `JSONSerialization` accepts are accepted as the same value.
///
/// Time-boxed: each test stops at its iteration cap or after `GALSYNC_FUZZ_SECONDS` (default 5)
/// of wall-clock time, whichever comes first. The seed is random unless `GALSYNC_FUZZ_SEED` fixes
/// it; a failure message names it with the iteration and its input (truncated). Each iteration
/// draws from its own generator (seed, iteration), so a failing one replays however fast the
/// machine is.
@Suite struct JSONFuzzTests {
    /// The deepest nesting `JSONValue.parse` accepts (JSONParser: `depth < 512` on entering a container).
    static let deepestAccepted = 511

    // MARK: Tests

    @Test func randomBytesAreParsedOrRefusedNeverACrash() {
        let run = FuzzRun(cap: 20_000)
        for i in run.iterations {
            var g = Gen(rng: run.rng(i))
            let count = g.int(0...64)
            let bytes = g.jsonishBytes(count: count)
            if let problem = Self.reparseProblem(bytes) {
                Issue.record("\(run.tag(i)): \(problem); input \(FuzzRun.preview(bytes))")
                break
            }
        }
    }

    @Test func mutatedDocumentsAreParsedOrRefusedNeverACrash() {
        let run = FuzzRun(cap: 20_000)
        for i in run.iterations {
            var g = Gen(rng: run.rng(i))
            let original = g.seedDocument()
            let (bytes, steps) = g.mutate(original)
            if let problem = Self.reparseProblem(bytes) {
                Issue.record("\(run.tag(i)): \(problem); \(steps.joined(separator: ", ")) of \(FuzzRun.preview(original)); input \(FuzzRun.preview(bytes))")
                break
            }
        }
    }

    @Test func nestingUpToTheDepthLimitParsesAndDeeperIsRefused() {
        let run = FuzzRun(cap: 400)
        let fixed = [1, 2, 64, 255, 510, 511, 512, 513, 1_000, 10_000]
        for i in run.iterations {
            var g = Gen(rng: run.rng(i))
            let depth = i < fixed.count ? fixed[i] : g.int(480...540)
            var arrays: [Bool] = []  // per level: an array (true) or an object {"k": …}
            for _ in 0..<depth { arrays.append(g.chance(0.5)) }
            let leaves: [(text: String, value: JSONValue)] = [("0", .number(0)), ("\"s\"", .string("s")), ("null", .null), ("true", .bool(true))]
            let leaf = g.pick(leaves)
            var bytes: [UInt8] = []
            for isArray in arrays { bytes += isArray ? [UInt8(ascii: "[")] : Array(#"{"k":"#.utf8) }
            bytes += Array(leaf.text.utf8)
            for isArray in arrays.reversed() { bytes.append(isArray ? UInt8(ascii: "]") : UInt8(ascii: "}")) }
            let tag = "\(run.tag(i)): depth \(depth), input \(FuzzRun.preview(bytes, limit: 80))"

            let parsed = JSONValue.parse(Data(bytes))
            if depth <= Self.deepestAccepted {
                var expected = leaf.value
                for isArray in arrays.reversed() { expected = isArray ? .array([expected]) : .object(["k": expected]) }
                guard let got = parsed, Self.same(got, expected) else {
                    Issue.record("\(tag): not parsed as the nested value (\(Self.isRefused(parsed) ? "refused" : "another value"))")
                    break
                }
                guard let again = JSONValue.parse(got.encoded()), Self.same(again, got) else { Issue.record("\(tag): its encoding does not parse back"); break }
            } else if !Self.isRefused(parsed) {
                Issue.record("\(tag): accepted beyond the depth limit of \(Self.deepestAccepted)")
                break
            }
            // The same with its last closer cut, or a closer in the middle lost: refused at any depth.
            if !Self.isRefused(JSONValue.parse(Data(bytes.dropLast()))) { Issue.record("\(tag): accepted without its last closer"); break }
            let closer = bytes.count - 1 - g.int(0...(depth - 1))
            var lost = bytes
            lost.remove(at: closer)
            if !Self.isRefused(JSONValue.parse(Data(lost))) { Issue.record("\(tag): accepted with the closer at \(closer) lost"); break }
        }
    }

    @Test func randomValuesRoundTripAndEncodeDeterministically() {
        let run = FuzzRun(cap: 3_000)
        for i in run.iterations {
            var g = Gen(rng: run.rng(i))
            let v = g.value(depth: 0, maxDepth: 5)
            let e = v.encoded()
            let tag = "\(run.tag(i)): \(FuzzRun.preview(e))"
            guard e == v.encoded() else { Issue.record("\(tag): encoded() differs between two calls"); break }
            guard let back = JSONValue.parse(e) else { Issue.record("\(tag): its own encoding is refused"); break }
            guard back == v else { Issue.record("\(tag): parses back to \(FuzzRun.preview(back.encoded()))"); break }

            // The same members inserted in two orders, into dictionaries of different capacities,
            // encode to the same bytes.
            var members: [String: JSONValue] = [:]
            let count = g.int(0...12)
            for _ in 0..<count {
                let key = g.string(maxLength: 6)
                members[key] = g.value(depth: 1, maxDepth: 3)
            }
            let pairs = Array(members)
            var a: [String: JSONValue] = [:]
            for (key, value) in pairs.shuffled(using: &g.rng) { a[key] = value }
            var b: [String: JSONValue] = [:]
            b.reserveCapacity(g.int(0...64))
            for (key, value) in pairs.shuffled(using: &g.rng) { b[key] = value }
            let ea = JSONValue.object(a).encoded(), eb = JSONValue.object(b).encoded()
            guard ea == eb else {
                Issue.record("\(run.tag(i)): one object, two encodings: \(FuzzRun.preview(ea)) and \(FuzzRun.preview(eb))")
                break
            }
        }
    }

    /// `parse(_:keepingAtDepth:only:)` is how galsync reads `$batch` answers: whatever the full
    /// parse accepts, it accepts as the full value with objects at that depth pruned to the kept
    /// keys. It checks skipped strings more loosely (an escape is skipped, not decoded), so the
    /// other direction holds for documents without a backslash.
    @Test func prunedParseAgreesWithTheFullParse() {
        let run = FuzzRun(cap: 10_000)
        for i in run.iterations {
            var g = Gen(rng: run.rng(i))
            var bytes = g.seedDocument()
            var steps: [String] = []
            if g.chance(0.5) { (bytes, steps) = g.mutate(bytes) }
            let data = Data(bytes)
            let full = JSONValue.parse(data)
            let depth = g.int(1...5)
            var keep: Set<String> = ["id", "error", "Retry-After"]
            // Values are compared (and walked for keys) when shallow; deeper, only acceptance.
            let shallow = full.map { Self.nesting($0) <= 64 } ?? false
            if let full, shallow {
                var keys: [String] = []
                Self.collectKeys(full, into: &keys)
                let extra = g.int(0...3)
                for _ in 0..<extra where !keys.isEmpty { keep.insert(g.pick(keys)) }
            }
            let pruned = JSONValue.parse(data, keepingAtDepth: depth, only: keep)
            let tag = "\(run.tag(i)): depth \(depth), keep \(keep.sorted()), \(steps.isEmpty ? "" : steps.joined(separator: ", ") + ", ")input \(FuzzRun.preview(bytes))"
            if let full {
                guard let got = pruned, !shallow || Self.same(got, Self.prune(full, depth: 1, at: depth, keep: keep)) else {
                    Issue.record("\(tag): the full parse accepts it, the pruned one \(Self.isRefused(pruned) ? "refuses it" : "gives another value")")
                    break
                }
            } else if !Self.isRefused(pruned), !bytes.contains(UInt8(ascii: "\\")) {
                Issue.record("\(tag): the pruned parse accepts what the full one refuses")
                break
            }
        }
    }

    /// For generated documents (random whitespace, escapes written every legal way, numbers with
    /// fractions and exponents), our parser gives exactly the generated value; whatever
    /// `JSONSerialization` accepts (top-level object or array, fragments not allowed) is among them.
    @Test func documentsFoundationAcceptsWeAcceptAsTheSameValue() {
        let run = FuzzRun(cap: 2_000)
        var foundationAccepted = 0, documents = 0
        for i in run.iterations {
            documents += 1
            var g = Gen(rng: run.rng(i))
            let v = g.container(maxDepth: 4)
            var bytes: [UInt8] = []
            if g.chance(0.25) { bytes = [UInt8](v.encoded()) } else { g.write(v, into: &bytes) }
            let data = Data(bytes)
            let foundation = (try? JSONSerialization.jsonObject(with: data, options: [])) != nil
            if foundation { foundationAccepted += 1 }
            let parsed = JSONValue.parse(data)
            guard let ours = parsed, ours == v else {
                let what = Self.isRefused(parsed) ? "refused" : "parsed as another value"
                Issue.record("\(run.tag(i)): \(what)\(foundation ? ", although JSONSerialization accepts it" : ""); input \(FuzzRun.preview(bytes, limit: 600))")
                break
            }
        }
        if documents >= 20 { #expect(foundationAccepted > 0, "JSONSerialization accepted none of \(documents) generated documents: the oracle checked nothing") }
    }

    // MARK: Properties and helpers

    /// nil when `bytes` are refused, or parse to a value whose canonical encoding is stable and
    /// parses back to it; else what is wrong.
    static func reparseProblem(_ bytes: [UInt8]) -> String? {
        guard let v = JSONValue.parse(Data(bytes)) else { return nil }
        let e = v.encoded()
        guard e == v.encoded() else { return "accepted, but encoded() differs between two calls" }
        guard let back = JSONValue.parse(e) else { return "accepted, but its encoding \(FuzzRun.preview(e)) is refused" }
        guard same(back, v) else { return "accepted, but its encoding \(FuzzRun.preview(e)) parses to another value" }
        guard back.encoded() == e else { return "accepted, but its encoding is not stable" }
        return nil
    }

    /// `a == b`, walked with a stack instead of recursion: documents here nest up to 511 deep.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        var pending: [(JSONValue, JSONValue)] = [(a, b)]
        while let pair = pending.popLast() {
            switch pair {
            case (.array(let x), .array(let y)):
                guard x.count == y.count else { return false }
                for (u, v) in zip(x, y) { pending.append((u, v)) }
            case (.object(let x), .object(let y)):
                guard x.count == y.count else { return false }
                for (key, u) in x {
                    guard let v = y[key] else { return false }
                    pending.append((u, v))
                }
            case (.array, _), (.object, _), (_, .array), (_, .object):
                return false
            default:
                guard pair.0 == pair.1 else { return false }
            }
        }
        return true
    }

    /// How deep containers nest in `v` (a scalar: 0), walked with a stack.
    static func nesting(_ v: JSONValue) -> Int {
        var deepest = 0
        var pending: [(JSONValue, Int)] = [(v, 1)]
        while let top = pending.popLast() {
            let (value, level) = top
            switch value {
            case .array(let items):
                deepest = max(deepest, level)
                for item in items { pending.append((item, level + 1)) }
            case .object(let members):
                deepest = max(deepest, level)
                for item in members.values { pending.append((item, level + 1)) }
            default: break
            }
        }
        return deepest
    }

    /// Whether a parse refused (JSONValue is ExpressibleByNilLiteral: `== nil` would be ambiguous).
    static func isRefused(_ v: JSONValue?) -> Bool {
        if case .none = v { return true }
        return false
    }

    /// `v` with every object `at` levels deep (the top-level container is level 1) keeping only `keep`.
    static func prune(_ v: JSONValue, depth: Int, at: Int, keep: Set<String>) -> JSONValue {
        switch v {
        case .array(let items):
            return .array(items.map { prune($0, depth: depth + 1, at: at, keep: keep) })
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (key, value) in members where depth != at || keep.contains(key) {
                out[key] = prune(value, depth: depth + 1, at: at, keep: keep)
            }
            return .object(out)
        default:
            return v
        }
    }

    static func collectKeys(_ v: JSONValue, into keys: inout [String]) {
        switch v {
        case .array(let items): for item in items { collectKeys(item, into: &keys) }
        case .object(let members):
            for (key, value) in members {
                keys.append(key)
                collectKeys(value, into: &keys)
            }
        default: break
        }
    }


    /// Real shapes galsync reads: a delta page, a `$batch` answer, an error, every escape.
    static let graphDocuments: [String] = [
        ##"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users(id,displayName,mail)","value":[{"id":"6e7b768e-07e2-4810-8459-485f84f8f204","displayName":"Ada Lovelace","mail":"ada@contoso.com","businessPhones":["+1 425 555 0109"],"accountEnabled":true},{"@odata.type":"#microsoft.graph.user","id":"87d349ed-44d7-43e1-9a83-5f2406dee5bd","@removed":{"reason":"changed"}}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/users/delta?$skiptoken=pqwSUjGYvb3jQpbwVAwEL7yuI3dU1LecfkkfLPtnIjsXoYQp_dpA3cNJWc"}"##,
        ##"{"responses":[{"id":"1","status":201,"headers":{"Content-Type":"application/json"},"body":{"id":"AAMkAGI2TG93AAA=","displayName":"Zoë Müller","emailAddresses":[{"address":"zoe@contoso.com","name":"Zoë Müller"}]}},{"id":"2","status":429,"headers":{"Retry-After":"3"},"body":{"error":{"code":"ApplicationThrottled","message":"Application is over its MailboxConcurrency limit."}}},{"id":"3","status":204,"headers":{}}]}"##,
        ##"{"error":{"code":"syncStateNotFound","message":"The sync state generation is not found.","innerError":{"date":"2024-05-01T10:00:00","request-id":"b1a4c7d2-0000-4000-8000-000000000000"}}}"##,
        ##"[1, -0.5, 3e2, 1E-2, true, false, null, "\u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t", {}, []]"##,
    ]

    // MARK: Time box and generator



    struct Gen: FuzzGenerator {
        var rng: SeededRandom


        static let jsonAlphabet = Array("{}[]\",:0123456789-+.eEtrufalsn \t\n\r\\/u".utf8)
        static let interesting: [UInt8] = [0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x30, 0x2D, 0x65, 0x2E, 0x00, 0x1F, 0x7F,
                                           0x80, 0xBF, 0xC0, 0xED, 0xF4, 0xFF, 0x20, 0x75, 0x6E, 0x74, 0x66]
        static let hexish: [Character] = Array("0123456789abcdefABCDEFxg")
        static let numberish: [String] = ["1e999", "-1e999", "1e-999", "-", "01", "1.", ".5", "+1", "-0", "1e", "0x1F", "NaN", "Infinity", "1_000", "١٢", "1e+", "--1"]
        static let escapeish: [String] = ["\\u", "\\", "\\u00", "\\uD83D\\u", "\\uDC00", "\\uD800", "\\uD800\\u0041", "\\x", "\\U0041"]
        /// Escapes written the short way.
        static let shortEscapes: [UInt32: UInt8] = [0x22: 0x22, 0x5C: 0x5C, 0x08: 0x62, 0x0C: 0x66, 0x0A: 0x6E, 0x0D: 0x72, 0x09: 0x74]

        mutating func jsonishBytes(count: Int) -> [UInt8] {
            var out: [UInt8] = []
            for _ in 0..<count {
                if chance(0.7) { out.append(pick(Self.jsonAlphabet)) } else { out.append(UInt8.random(in: 0...255, using: &rng)) }
            }
            return out
        }

        /// A scalar from every class a JSON string must handle; never a surrogate.
        mutating func scalar() -> Unicode.Scalar {
            let v: UInt32
            switch int(0...9) {
            case 0, 1: v = UInt32(int(0...0x1F))  // control characters
            case 2: v = UInt32(pick([0x22, 0x5C, 0x2F, 0x7F, 0x20]))  // quote, backslash, slash, DEL, space
            case 3, 4, 5: v = UInt32(int(0x20...0x7E))
            case 6: v = UInt32(int(0x80...0x7FF))
            case 7: v = UInt32(int(0x800...0xD7FF))
            case 8: v = UInt32(int(0xE000...0xFFFF))
            default: v = UInt32(int(0x10000...0x10FFFF))
            }
            return Unicode.Scalar(v) ?? "?"
        }

        mutating func string(maxLength: Int = 12) -> String {
            var s = String.UnicodeScalarView()
            let count = int(0...maxLength)
            for _ in 0..<count { s.append(scalar()) }
            return String(s)
        }

        /// Finite doubles that must round-trip: small and large integers (integral values of 1e15
        /// and more are written with an exponent), eighths, and any finite bit pattern.
        mutating func number() -> Double {
            switch int(0...4) {
            case 0: return Double(int(-1_000...1_000))
            case 1: return Double(Int64.random(in: -(1 << 53)...(1 << 53), using: &rng))
            case 2: return Double(int(-1_000_000_000...1_000_000_000)) / 8
            case 3: return Double(Int64.random(in: Int64.min...Int64.max, using: &rng))
            default:
                while true {
                    let d = Double(bitPattern: rng.next())
                    if d.isFinite { return d }
                }
            }
        }

        mutating func value(depth: Int, maxDepth: Int) -> JSONValue {
            switch int(0...(depth >= maxDepth ? 3 : 5)) {
            case 0: return .null
            case 1: return .bool(chance(0.5))
            case 2: return .number(number())
            case 3: return .string(string())
            case 4:
                var items: [JSONValue] = []
                let count = int(0...4)
                for _ in 0..<count { items.append(value(depth: depth + 1, maxDepth: maxDepth)) }
                return .array(items)
            default:
                var members: [String: JSONValue] = [:]
                let count = int(0...4)
                for _ in 0..<count {
                    let key = string(maxLength: 8)
                    members[key] = value(depth: depth + 1, maxDepth: maxDepth)
                }
                return .object(members)
            }
        }

        /// A top-level object or array (what JSONSerialization takes without fragments).
        mutating func container(maxDepth: Int) -> JSONValue {
            let count = int(0...5)
            if chance(0.5) {
                var items: [JSONValue] = []
                for _ in 0..<count { items.append(value(depth: 1, maxDepth: maxDepth)) }
                return .array(items)
            }
            var members: [String: JSONValue] = [:]
            for _ in 0..<count {
                let key = string(maxLength: 8)
                members[key] = value(depth: 1, maxDepth: maxDepth)
            }
            return .object(members)
        }

        /// A valid document to mutate: our encoding, a variant written another legal way, or a Graph shape.
        mutating func seedDocument() -> [UInt8] {
            switch int(0...3) {
            case 0:
                return [UInt8](container(maxDepth: 4).encoded())
            case 1:
                let v = container(maxDepth: 4)
                var out: [UInt8] = []
                write(v, into: &out)
                return out
            default:
                return Array(pick(JSONFuzzTests.graphDocuments).utf8)
            }
        }

        /// `v` as valid JSON written differently from `encoded()`: whitespace between tokens,
        /// members in random order, escapes short, \u-escaped (either case) or as surrogate
        /// pairs, `\/`, integers as `1.0`, `1e0` or `1E+00`.
        mutating func write(_ v: JSONValue, into out: inout [UInt8]) {
            space(&out)
            switch v {
            case .null: out += Array("null".utf8)
            case .bool(let b): out += Array((b ? "true" : "false").utf8)
            case .number(let n): out += Array(numberText(n).utf8)
            case .string(let s): writeString(s, into: &out)
            case .array(let items):
                out.append(UInt8(ascii: "["))
                for (i, item) in items.enumerated() {
                    if i > 0 {
                        space(&out)
                        out.append(UInt8(ascii: ","))
                    }
                    write(item, into: &out)
                }
                space(&out)
                out.append(UInt8(ascii: "]"))
            case .object(let members):
                out.append(UInt8(ascii: "{"))
                let keys = members.keys.shuffled(using: &rng)
                for (i, key) in keys.enumerated() {
                    if i > 0 {
                        space(&out)
                        out.append(UInt8(ascii: ","))
                    }
                    space(&out)
                    writeString(key, into: &out)
                    space(&out)
                    out.append(UInt8(ascii: ":"))
                    if let member = members[key] { write(member, into: &out) }
                }
                space(&out)
                out.append(UInt8(ascii: "}"))
            }
            space(&out)
        }

        mutating func space(_ out: inout [UInt8]) {
            guard chance(0.3) else { return }
            let count = int(1...2)
            for _ in 0..<count {
                let whitespace: [UInt8] = [0x20, 0x09, 0x0A, 0x0D]
                out.append(pick(whitespace))
            }
        }

        mutating func numberText(_ n: Double) -> String {
            guard n.rounded() == n, abs(n) < 1e15 else { return "\(n)" }
            let integer = Int64(n)
            switch int(0...3) {
            case 0: return "\(integer).0"
            case 1: return "\(integer)e0"
            case 2: return "\(integer)E+00"
            default: return "\(integer)"
            }
        }

        mutating func writeString(_ s: String, into out: inout [UInt8]) {
            out.append(UInt8(ascii: "\""))
            for scalar in s.unicodeScalars {
                let v = scalar.value
                if let short = Self.shortEscapes[v], chance(0.7) {
                    out += [UInt8(ascii: "\\"), short]
                } else if v < 0x20 || v == 0x22 || v == 0x5C || chance(0.15) {
                    if v > 0xFFFF {
                        let x = v - 0x10000
                        out += escape(0xD800 + (x >> 10))
                        out += escape(0xDC00 + (x & 0x3FF))
                    } else {
                        out += escape(v)
                    }
                } else if v == 0x2F, chance(0.5) {
                    out += [UInt8(ascii: "\\"), UInt8(ascii: "/")]
                } else {
                    out += Array(String(scalar).utf8)
                }
            }
            out.append(UInt8(ascii: "\""))
        }

        mutating func escape(_ unit: UInt32) -> [UInt8] {
            var hex = String(unit, radix: 16, uppercase: chance(0.5))
            while hex.count < 4 { hex = "0" + hex }
            return [UInt8(ascii: "\\"), UInt8(ascii: "u")] + Array(hex.utf8)
        }

        /// 1–4 byte-level mutations: bit flips, interesting bytes set or inserted, deletions,
        /// copied ranges, truncation, broken escapes and numbers, deep nesting around the limit.
        mutating func mutate(_ input: [UInt8]) -> (bytes: [UInt8], steps: [String]) {
            var b = input
            var steps: [String] = []
            let rounds = int(1...4)
            for _ in 0..<rounds {
                let at = int(0...b.count)  // an insertion point; a byte position when < b.count
                switch int(0...9) {
                case 0 where at < b.count:
                    let bit = UInt8(1) << UInt8(int(0...7))
                    b[at] ^= bit
                    steps.append("flip \(bit) at \(at)")
                case 1 where at < b.count:
                    let x = pick(Self.interesting)
                    b[at] = x
                    steps.append("set \(at) to \(x)")
                case 2:
                    let x = chance(0.5) ? pick(Self.interesting) : UInt8.random(in: 0...255, using: &rng)
                    b.insert(x, at: at)
                    steps.append("insert \(x) at \(at)")
                case 3 where at < b.count:
                    b.remove(at: at)
                    steps.append("delete \(at)")
                case 4 where at < b.count:
                    let end = min(b.count, at + int(1...16))
                    b.removeSubrange(at..<end)
                    steps.append("delete \(at)..<\(end)")
                case 5 where at < b.count:
                    let end = min(b.count, at + int(1...32))
                    let slice = Array(b[at..<end])
                    let to = int(0...b.count)
                    b.insert(contentsOf: slice, at: to)
                    steps.append("copy \(at)..<\(end) to \(to)")
                case 6:
                    let keep = int(0...b.count)
                    b.removeSubrange(keep...)
                    steps.append("truncate to \(keep)")
                case 7:
                    var text = pick(Self.escapeish)
                    let digits = int(0...4)
                    for _ in 0..<digits { text.append(pick(Self.hexish)) }
                    b.insert(contentsOf: Array(text.utf8), at: at)
                    steps.append("insert \(text) at \(at)")
                case 8:
                    let n = int(1...600)
                    b = Array(repeating: UInt8(ascii: "["), count: n) + b + Array(repeating: UInt8(ascii: "]"), count: n)
                    steps.append("nest in \(n) arrays")
                default:
                    let text = pick(Self.numberish)
                    b.insert(contentsOf: Array(text.utf8), at: at)
                    steps.append("insert \(text) at \(at)")
                }
            }
            return (b, steps)
        }
    }
}
