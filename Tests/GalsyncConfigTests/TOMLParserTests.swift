import Foundation
import FuzzSupport
import GraphSimulator
@testable import GalsyncConfig
import ProcessSupport
import Testing

/// galsync's own TOML parser: what TOML 1.0 says, checked case by case and, for random
/// documents, against Python's `tomllib` (the standard library's TOML 1.0 parser), which
/// must accept exactly what galsync accepts and give the same values.
@Suite struct TOMLParserTests {
    @Test func valuesOfEveryKind() throws {
        let root = try TOMLParser.parse(#"""
            s = "tab\there \u00e9 \U0001F600 \"q\""
            l = 'C:\path'
            ml = """
            one \
              two"""
            mll = '''
            raw \n'''
            i = [1_000, -0, +7, 0xff, 0o17, 0b101]
            f = [1.5, -2e3, 6.02E+23, inf, -inf]
            b = [true, false]
            d = [1979-05-27T07:32:00Z, 1979-05-27 07:32:00.5-07:00, 1979-05-27, 07:32:00]
            t = { x = 1, y.z = "w" }
            [[aot]]
            n = 1
            [[aot]]
            n = 2
            [a.'b c']
            "k" = 1
            """#)
        #expect(canonical(.table(root)) == canonical(.table([
            "s": .string("tab\there é 😀 \"q\""), "l": .string(#"C:\path"#), "ml": .string("one two"), "mll": .string("raw \\n"),
            "i": .array([.int(1000), .int(0), .int(7), .int(255), .int(15), .int(5)]),
            "f": .array([.double(1.5), .double(-2000), .double(6.02e23), .double(.infinity), .double(-.infinity)]),
            "b": .array([.bool(true), .bool(false)]),
            "d": .array([.other("a date and time"), .other("a date and time"), .other("a date"), .other("a time")]),
            "t": .table(["x": .int(1), "y": .table(["z": .string("w")])]),
            "aot": .array([.table(["n": .int(1)]), .table(["n": .int(2)])]),
            "a": .table(["b c": .table(["k": .int(1)])]),
        ])))
    }

    @Test(arguments: [
        ("a = 1\na = 2", 2), ("[a]\n[a]", 2), ("a.b = 1\n[a]", 2), ("[a.b]\n[a]\nb.c = 1", 3), ("a = {}\n[a.b]", 2),
        ("a = [1]\n[[a]]", 2), ("a = 01", 1), ("a = 1__0", 1), ("a = 0x", 1), ("a = +0x1", 1), ("a = 1.", 1), ("a = .5", 1),
        ("a = 9223372036854775808", 1), ("a = \"\\x\"", 1), ("a = \"open", 1), ("a = { b = 1, }", 1), ("a = { b = 1\n}", 1),
        ("a = 1979-02-30", 1), ("a = 25:00:00", 1), ("a = 1 b = 2", 1), ("a = [1 2]", 1), ("a = [,]", 1), ("= 1", 1),
        ("a = \"x\u{01}\"", 1), ("# \u{7F}", 1), ("a = 1\r", 1), ("[a]]", 1), ("a = tru", 1), ("\u{00A0}a = 1", 1),
    ])
    func invalidDocumentsNameTheirLine(text: String, line: Int) {
        do {
            let root = try TOMLParser.parse(text)
            Issue.record("accepted \(text.debugDescription): \(root)")
        } catch {
            #expect(error.line == line, "\(text.debugDescription): \(error)")
        }
    }

    /// tomllib found this one: a table a header only passed through takes dotted keys, and is
    /// then theirs.
    @Test func dottedKeysMayExtendATableAHeaderOnlyPassedThrough() throws {
        let root = try TOMLParser.parse("[a.b.c]\n[a]\nb.d = 1\n")
        #expect(canonical(.table(root)) == canonical(.table(["a": .table(["b": .table(["c": .table([:]), "d": .int(1)])])])))
        #expect(throws: TOMLSyntaxError.self) { try TOMLParser.parse("[a.b.c]\n[a]\nb.d = 1\n[a.b]\n") }
        #expect(throws: TOMLSyntaxError.self) { try TOMLParser.parse("[a.b.c]\n[a]\nb.c.d = 1\n") }
    }

    @Test func edgesOfNumbers() throws {
        let root = try TOMLParser.parse("min = -9223372036854775808\nmax = 9223372036854775807\nexp = 1e0_1\nz = -0.0")
        #expect(canonical(root["min"]!) == "i:-9223372036854775808")
        #expect(canonical(root["max"]!) == "i:9223372036854775807")
        #expect(canonical(root["exp"]!) == canonical(.double(10)))
        #expect(canonical(root["z"]!) == canonical(.double(-0.0)))
    }

    @Test func deepNestingIsAnErrorNotAStackOverflow() {
        let text = "a = " + String(repeating: "[", count: 100_000)
        #expect(throws: TOMLSyntaxError.self) { try TOMLParser.parse(text) }
        // Tables as deep as a key is long: a dotted key or header of 100,000 parts.
        let key = Array(repeating: "a", count: 100_000).joined(separator: ".")
        #expect(throws: TOMLSyntaxError.self) { try TOMLParser.parse(key + " = 1") }
        #expect(throws: TOMLSyntaxError.self) { try TOMLParser.parse("[" + key + "]") }
    }

    // MARK: - Against Python's tomllib

    /// Random edits of TOML documents (the fuzz suite's full configuration and tricky snippets):
    /// galsync's parser and `tomllib` agree on every one, accepted or refused, and on the values.
    @Test(.enabled(if: TOMLOracle.available, "needs python3 ≥ 3.11 (tomllib)"))
    func agreesWithPythonsTomllib() throws {
        let run = FuzzRun(cap: 3000)
        var documents = Self.seeds
        for i in run.iterations {
            var rng = run.rng(i)
            var doc = Self.seeds[Int(rng.next() % UInt64(Self.seeds.count))].unicodeScalars.map { $0 }
            for _ in 0..<(1 + Int(rng.next() % 3)) { Self.mutate(&doc, &rng) }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: doc)
            documents.append(String(view))
        }
        let expected = try TOMLOracle.canonical(documents)
        var disagreements: [String] = []
        let accepted = expected.filter { $0 != "error" }.count
        #expect(accepted * 5 >= documents.count, "only \(accepted) of \(documents.count) documents are valid TOML: the edits are too rough to compare values")
        FileHandle.standardError.write(Data("tomllib accepted \(accepted) of \(documents.count)\n".utf8))
        for (doc, want) in zip(documents, expected) {
            let got: String
            do { got = canonical(.table(try TOMLParser.parse(doc))) } catch { got = "error" }
            if got != want {
                disagreements.append("\(doc.debugDescription)\n  galsync: \(got.prefix(200))\n  tomllib: \(want.prefix(200))")
            }
        }
        #expect(disagreements.isEmpty, "seed 0x\(String(run.seed, radix: 16)), \(disagreements.count) of \(documents.count) differ:\n\(disagreements.prefix(5).joined(separator: "\n"))")
    }

    static let seeds: [String] = [
        ConfigFuzzTests.base,
        "a = [1, 2, [3, \"x\"], { b = 'c' }]\n# comment\n[t.u]\nv = 1979-05-27T07:32:00Z\n[[arr]]\nx = 0x1F\n[[arr]]\ny = -1.5e-3\n",
        "s = \"\"\"\nline\\\n  next \\u00e9\"\"\"\nl = '''\n'quoted' \\ raw'''\n\"quoted key\" = true\nk.dotted.key = nan\n",
        "[a]\nb.c = 1\n[a.d]\ne = [\n  1,\n  2, # two\n]\nf = { g = 1, h.i = 2 }\n",
        "[a]\nb.c = 1\n[a.b.d]\n[x]\n[[y]]\n[y.z]\n",
        "x = 1_000\ny = 0o755\nz = 0b11\nw = +inf\nt = 07:32:00.999\nd = 2024-02-29\n",
    ]

    static let alphabet: [String] = [
        "[", "]", "[[", "]]", "{", "}", "\"", "'", "\"\"\"", "'''", "=", ".", ",", "#", "\n", "\r\n", "\r", " ", "\t",
        "\\", "\\u00e9", "\\U0001F600", "\\x", "1", "0", "_", "e", "+", "-", ":", "T", "Z", "0x", "inf", "nan", "true",
        "a", "é", "\u{2028}", "\u{00A0}", "\u{0}", "\u{7F}", "\u{1F}", "1979-05-27", "07:32:00", "9999999999999999999",
    ]

    /// Whole lines that change a document's structure: tables defined twice, dotted keys into
    /// tables defined elsewhere, arrays of tables over plain arrays, odd but valid literals.
    static let lines: [String] = [
        "[a]", "[a.b]", "[[a]]", "[[a.b]]", "[a.b.c]", "[x]", "[y.z]", "[[y]]", "b.c = 1", "a.b = 1", "a = { b = 1 }", "b = [1]",
        "c = 1979-05-27", "d = 0x_1", "e = 1e1_0", #"f = """x""""""#, "g = '''a''''", #""" = 1"#, #"h."i".j = 2"#,
    ]

    static func mutate(_ doc: inout [Unicode.Scalar], _ rng: inout SeededRandom) {
        let at = doc.isEmpty ? 0 : Int(rng.next() % UInt64(doc.count + 1))
        switch rng.next() % 8 {
        case 0, 1, 2, 3:
            let starts = [0] + doc.indices.filter { doc[$0] == "\n" }.map { $0 + 1 }
            let line = lines[Int(rng.next() % UInt64(lines.count))] + "\n"
            doc.insert(contentsOf: line.unicodeScalars, at: starts[Int(rng.next() % UInt64(starts.count))])
        case 4, 5:
            doc.insert(contentsOf: alphabet[Int(rng.next() % UInt64(alphabet.count))].unicodeScalars, at: at)
        case 6:
            let end = min(doc.count, at + 1 + Int(rng.next() % 4))
            if at < end { doc.removeSubrange(at..<end) }
        default:
            let end = min(doc.count, at + 1 + Int(rng.next() % 12))
            if at < end { doc.insert(contentsOf: Array(doc[at..<end]), at: Int(rng.next() % UInt64(doc.count + 1))) }
        }
    }
}

/// One line per value, the same in Swift and in `TOMLOracle.script`: strings as UTF-8 hex,
/// floats as their bits, dates as `d`, tables with keys in byte order.
func canonical(_ value: ConfigValue) -> String {
    switch value {
    case .string(let s): return "s:" + hex(Array(s.utf8))
    case .int(let i): return "i:\(i)"
    case .double(let d): return d.isNaN ? "f:nan" : "f:" + String(d.bitPattern, radix: 16)
    case .bool(let b): return "b:\(b)"
    case .other: return "d"
    case .array(let items): return "[" + items.map(canonical).joined(separator: ",") + "]"
    case .table(let t):
        let keyed = t.map { (hex(Array($0.key.utf8)), $0.value) }.sorted { $0.0 < $1.0 }
        return "{" + keyed.map { "\($0.0)=\(canonical($0.1))" }.joined(separator: ",") + "}"
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

/// Python's tomllib, run once over many documents.
enum TOMLOracle {
    static let script = #"""
    import json, struct, sys, tomllib, datetime
    def c(v):
        if isinstance(v, bool): return "b:" + ("true" if v else "false")
        if isinstance(v, int):
            if not -2**63 <= v < 2**63: raise ValueError("out of range")
            return "i:%d" % v
        if isinstance(v, float):
            return "f:nan" if v != v else "f:" + format(struct.unpack(">Q", struct.pack(">d", v))[0], "x")
        if isinstance(v, str): return "s:" + v.encode().hex()
        if isinstance(v, (datetime.datetime, datetime.date, datetime.time)): return "d"
        if isinstance(v, list): return "[" + ",".join(c(x) for x in v) + "]"
        items = sorted((k.encode().hex(), x) for k, x in v.items())
        return "{" + ",".join(k + "=" + c(x) for k, x in items) + "}"
    for doc in json.load(sys.stdin):
        try: print(c(tomllib.loads(doc)))
        except Exception: print("error")
    """#

    static let available: Bool = {
        (try? run(#"import tomllib"#, input: Data())) != nil
    }()

    static func canonical(_ documents: [String]) throws -> [String] {
        let out = try run(script, input: JSONSerialization.data(withJSONObject: documents))
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        guard lines.count == documents.count else { throw CocoaError(.fileReadCorruptFile) }
        return lines
    }

    private static func run(_ code: String, input: Data) throws -> String {
        let process = SpawnedProcess("/usr/bin/env", ["python3", "-c", code])
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.start()
        try stdin.fileHandleForWriting.write(contentsOf: input)
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: data, as: UTF8.self)
    }
}
