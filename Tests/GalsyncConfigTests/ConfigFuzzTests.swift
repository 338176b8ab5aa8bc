import Foundation
@testable import GalsyncConfig
import FuzzSupport
import GraphSimulator
import Testing

/// Fuzzing `ConfigurationLoader.parse` with TOML-level mutations of a configuration that sets
/// every key: loading never crashes; it either gives a configuration within the documented
/// ranges or throws a `ConfigurationError` that explains itself; a value of the wrong type names
/// its key; a one-edit misspelling of a key or section is reported as unknown, with a
/// suggestion, never silently accepted.
///
/// Time-boxed: each test stops at its iteration cap or after `GALSYNC_FUZZ_SECONDS` (default 5)
/// of wall-clock time, whichever comes first. The seed is random unless `GALSYNC_FUZZ_SEED` fixes
/// it; a failure message names it with the iteration and its input (truncated).
@Suite struct ConfigFuzzTests {
    /// Every key galsync accepts, each set to a valid value.
    static let base = """
        # galsync.toml for fuzzing: every key set
        [tenant]
        id = "contoso.onmicrosoft.com"
        client_id = "11111111-2222-3333-4444-555555555555"
        certificate = "/etc/galsync/galsync.crt"
        private_key = "/etc/galsync/galsync.key"
        passphrase_file = "/etc/galsync/galsync.passphrase"
        cloud = "global"
        login_endpoint = "https://login.microsoftonline.com"
        graph_endpoint = "https://graph.microsoft.com"
        ca_file = "/etc/galsync/ca.pem"
        assertion_algorithm = "PS256"

        [sync]
        interval = "15m"
        state = "/var/lib/galsync/state.db"
        folder = "Company Directory"
        full_reconcile = "24h"
        max_deletes_percent = 20
        concurrency = 16
        metrics_file = "/var/lib/prometheus/node-exporter/galsync.prom"

        [directory]
        include_groups = ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]
        exclude_groups = []
        include_guests = false
        include_disabled = false
        require = ["mail"]

        [mailboxes]
        groups = ["00000000-0000-0000-0000-000000000000"]
        users = ["alice@contoso.com"]
        all = true
        include_self = false

        [contact]
        exclude_fields = ["mobilePhone"]
        """

    static let lines = base.components(separatedBy: "\n")

    /// The keys of each section: the loader's own list.
    static let sections = ConfigReader.sections

    /// What a key takes, as far as TOML types go.
    enum Kind: Sendable {
        case string, number, bool, strings

        /// Whether a TOML literal of `type` (see `literals`) is of this kind's type.
        func accepts(_ type: String) -> Bool {
            switch self {
            case .string: type == "string"
            case .number: type == "int" || type == "float"
            case .bool: type == "bool"
            case .strings: type == "emptyList" || type == "stringList"
            }
        }
    }

    static let kinds: [String: Kind] = [
        "tenant.id": .string, "tenant.client_id": .string, "tenant.certificate": .string, "tenant.private_key": .string,
        "tenant.passphrase_file": .string, "tenant.cloud": .string, "tenant.login_endpoint": .string, "tenant.graph_endpoint": .string,
        "tenant.ca_file": .string, "tenant.assertion_algorithm": .string,
        "sync.interval": .string, "sync.state": .string, "sync.folder": .string, "sync.full_reconcile": .string,
        "sync.max_deletes_percent": .number, "sync.concurrency": .number, "sync.metrics_file": .string,
        "directory.include_groups": .strings, "directory.exclude_groups": .strings, "directory.include_guests": .bool,
        "directory.include_disabled": .bool, "directory.require": .strings,
        "mailboxes.groups": .strings, "mailboxes.users": .strings, "mailboxes.all": .bool, "mailboxes.include_self": .bool,
        "contact.exclude_fields": .strings,
    ]

    /// Valid TOML values of every type (TOML 1.0: hex integers, inf and nan, dates and times, inline tables).
    static let literals: [(text: String, type: String)] = [
        ("true", "bool"), ("false", "bool"),
        ("42", "int"), ("-7", "int"), ("0x1F", "int"), ("0", "int"),
        ("3.5", "float"), ("-0.0", "float"), ("1e3", "float"), ("inf", "float"), ("nan", "float"),
        ("\"text\"", "string"), ("'literal'", "string"), ("\"\"", "string"),
        ("[]", "emptyList"), ("[\"a\", \"b\"]", "stringList"), ("[1, 2]", "intList"), ("[true]", "boolList"),
        ("[[\"a\"]]", "nestedList"), ("[{ a = 1 }]", "tableList"),
        ("{ a = 1 }", "table"), ("{}", "table"),
        ("1979-05-27", "date"), ("07:32:00", "time"), ("1979-05-27T07:32:00Z", "datetime"), ("1979-05-27T07:32:00", "datetime"),
    ]

    /// Strings that are close to valid values, or exactly at a limit.
    static let interestingStrings: [String] = [
        "15m", "90s", "1h30m", "0s", "59s", "60s", "3600s", "1.5h", "-5m", "5", "m", "1h30", "", " ", "15 m",
        "99999999999999999d", "PS256", "RS256", "ES256", "ps256", "global", "usgov", "usgov-dod", "china", "GLOBAL", "mars",
        "http://127.0.0.1:8080", "http://localhost", "http://[::1]:8080", "http://example.com",
        "http://127.attacker.example", "http://127.0.0.1.nip.io", "http://localhost.evil", "http://127.1", "http://[::ffff:127.0.0.1]", "https://graph.microsoft.com/",
        "https://graph.microsoft.com/v1.0", "https://graph.microsoft.com?x=1", "ftp://graph.microsoft.com", "https://", "not a url",
        "contoso.onmicrosoft.com", ".contoso.com", "contoso.", "contoso", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
        "11111111-2222-3333-4444-55555555555", "/etc/galsync/galsync.pfx", "/etc/galsync/galsync.P12", "mail", "email",
        "mobilePhone", "phone", String(repeating: "x", count: 255), String(repeating: "é", count: 256),
    ]

    /// Lines that do not belong, or belong twice.
    static let strayLines: [String] = [
        "[tenant]", "[sync]", "[[tenant]]", "[tenant.extra]", "[unknown]", "[ sync ]", "[]", "[", "]", "tenant.id = \"x\"",
        "x = 1", "= 1", "key =", "\"quoted key\" = 1", "'lit' = 'x'", "\"\" = 1", "# comment", "", "a.b.c = 1", "\u{FEFF}",
        "interval = \"15m\"", "all = true", "include_self = true", "concurrency = 300", "[contact]", "exclude_fields = [\"phone\"]",
        "max_deletes_percent = -1", "folder = \"\"", "users = []", "groups = [\"not-a-guid\"]", "cloud = \"mars\"",
        "id = \"\"\"multi\nline\"\"\"", "sync = 1", "[mailboxes]\nall = false",
    ]

    // MARK: Tests

    @Test func theBaseConfigurationLoads() throws {
        let c = try ConfigurationLoader.parse(Self.base, file: "fuzz.toml", environment: [:])
        #expect(Self.insane(c).isEmpty, "\(Self.insane(c))")
        #expect(Self.keyLines(Self.lines).count == Self.kinds.count, "the base sets every key once")
    }

    /// 1–4 key lines each get a value of a type the key does not take, or a one-edit misspelled
    /// key (the rest of the file stays valid TOML): every such key is named, a misspelling as
    /// unknown with a suggestion of a real key one edit away. A misspelled section header alone
    /// is an unknown section, likewise.
    @Test func wrongTypesAndMisspelledKeysAreNamed() throws {
        let run = FuzzRun(cap: 3_000)
        let keys = Self.keyLines(Self.lines)
        let headers = Self.headerLines(Self.lines)
        for i in run.iterations {
            var g = Gen(rng: run.rng(i))
            var text = Self.lines
            var claims: [Claim] = []
            if g.chance(0.15) {
                let header = g.pick(headers)
                let known = Set(Self.sections.keys)
                guard let name = g.misspelling(of: header.section, avoiding: known) else { continue }
                text[header.index] = "[\(name)]"
                claims.append(Claim(key: name, fragment: "unknown section", misspelling: name, candidates: Array(known), change: "[\(header.section)] → [\(name)]"))
            } else {
                var used: [String: Set<String>] = [:]
                let count = g.int(1...4)
                for line in g.sample(keys, count) {
                    let full = "\(line.section).\(line.key)"
                    let known = Self.sections[line.section] ?? []
                    if g.chance(0.5), let kind = Self.kinds[full] {
                        let wrong = Self.literals.filter { !kind.accepts($0.type) }
                        let literal = g.pick(wrong)
                        text[line.index] = "\(line.key) = \(literal.text)"
                        claims.append(Claim(key: full, fragment: "", misspelling: nil, candidates: [], change: "\(full) = \(literal.text)"))
                    } else {
                        let avoid = Set(known).union(used[line.section] ?? [])
                        guard let name = g.misspelling(of: line.key, avoiding: avoid) else { continue }
                        used[line.section, default: []].insert(name)
                        text[line.index] = "\(name) = \(line.rhs)"
                        claims.append(Claim(key: "\(line.section).\(name)", fragment: "unknown key", misspelling: name, candidates: known,
                                            change: "\(full) → \(line.section).\(name)"))
                    }
                }
            }
            if claims.isEmpty { continue }
            let input = text.joined(separator: "\n")
            let tag = "\(run.tag(i)): \(claims.map(\.change).joined(separator: ", "))"
            do {
                _ = try ConfigurationLoader.parse(input, file: "fuzz.toml", environment: [:])
                Issue.record("\(tag): accepted; input:\n\(Self.preview(input))")
                break
            } catch {
                var wrong: [String] = []
                if let fileLevel = error.problems.first(where: { $0.key.isEmpty }) {
                    wrong.append("a problem with the file as a whole, although it is valid TOML: \(fileLevel.message)")
                }
                for claim in claims {
                    guard let problem = error.problems.first(where: { $0.key == claim.key && (claim.fragment.isEmpty || $0.message.contains(claim.fragment)) }) else {
                        wrong.append("\(claim.change) is not reported as \(claim.key)\(claim.fragment.isEmpty ? "" : " (\(claim.fragment))")")
                        continue
                    }
                    if !error.description.contains(claim.key) { wrong.append("the description does not name \(claim.key)") }
                    if let misspelling = claim.misspelling {
                        let suggested = Self.suggestion(in: problem.message)
                        if let suggested, claim.candidates.contains(suggested), Self.editDistance(suggested, misspelling) == 1 { continue }
                        wrong.append("\(claim.key): no suggestion of a real name one edit away (\(problem.message))")
                    }
                }
                if !wrong.isEmpty {
                    Issue.record("\(tag): \(wrong.joined(separator: "; ")); problems: \(error.description); input:\n\(Self.preview(input))")
                    break
                }
            }
        }
    }

    /// 1–4 random mutations anywhere (lines deleted, duplicated, swapped or added; values of
    /// another type or random strings; bytes inserted, invalid UTF-8 included; keys misspelled;
    /// `=` broken; headers mangled; the file truncated): a configuration within the documented
    /// ranges, or a `ConfigurationError` whose every problem has a message and appears in the
    /// description (a TOML syntax error alone, as the only problem).
    @Test func randomMutationsLoadOrExplainThemselves() {
        let run = FuzzRun(cap: 3_000)
        for i in run.iterations {
            var g = Gen(rng: run.rng(i))
            var lines = Self.lines
            var steps: [String] = []
            let rounds = g.int(1...4)
            for _ in 0..<rounds { g.mutate(&lines, &steps) }
            var input = lines.joined(separator: "\n")
            if g.chance(0.1) {
                let bytes = Array(input.utf8)
                let keep = g.int(0...bytes.count)
                input = String(decoding: bytes.prefix(keep), as: UTF8.self)
                steps.append("truncated to \(keep) bytes")
            }
            let wrong = Self.check(input)
            if !wrong.isEmpty {
                Issue.record("\(run.tag(i)): \(wrong.joined(separator: "; ")); mutations: \(steps.joined(separator: "; ")); input:\n\(Self.preview(input))")
                break
            }
        }
    }

    // MARK: What must hold

    /// What is wrong with how `text` loads (nothing when it loads sanely or is refused with an
    /// explanation).
    static func check(_ text: String) -> [String] {
        do {
            if let trace = ProcessInfo.processInfo.environment["GALSYNC_FUZZ_TRACE"] { try? text.write(toFile: trace, atomically: false, encoding: .utf8) }
            let c = try ConfigurationLoader.parse(text, file: "fuzz.toml", environment: [:])
            return insane(c).map { "accepted, but \($0)" }
        } catch {
            var wrong: [String] = []
            if error.problems.isEmpty { wrong.append("refused without a problem") }
            if error.file != "fuzz.toml" { wrong.append("the error names the file '\(error.file)'") }
            if !error.description.hasPrefix("fuzz.toml: ") { wrong.append("the description does not start with the file: \(error.description)") }
            for p in error.problems {
                if p.message.isEmpty { wrong.append("a problem without a message (key '\(p.key)')") }
                if !error.description.contains(p.message) { wrong.append("the description leaves out: \(p.message)") }
                if !p.key.isEmpty, !error.description.contains("\(p.key): ") { wrong.append("the description does not name \(p.key)") }
            }
            if error.problems.contains(where: { $0.key.isEmpty && $0.message.hasPrefix("not valid TOML") }), error.problems.count != 1 {
                wrong.append("a TOML syntax error among other problems: \(error.description)")
            }
            return wrong
        }
    }

    /// What an accepted configuration breaks of the documented ranges (ConfigReader's checks).
    static func insane(_ c: Configuration) -> [String] {
        var out: [String] = []
        let s = c.sync, t = c.tenant, m = c.mailboxes
        if !(s.interval >= 60) { out.append("sync.interval is \(s.interval) s, under 60 s") }
        if !(s.fullReconcile >= 3600) { out.append("sync.full_reconcile is \(s.fullReconcile) s, under 1 h") }
        if !(0...100).contains(s.maxDeletesPercent) { out.append("sync.max_deletes_percent \(s.maxDeletesPercent) is outside 0…100") }
        if !(1...4096).contains(s.concurrency) { out.append("sync.concurrency \(s.concurrency) is outside 1…4096") }
        if s.folder.count > 255 { out.append("sync.folder has \(s.folder.count) characters") }
        if s.state.isEmpty { out.append("sync.state is empty") }
        if t.id.isEmpty { out.append("tenant.id is empty") }
        if t.certificate.isEmpty { out.append("tenant.certificate is empty") }
        if UUID(uuidString: t.clientId) == nil || t.clientId != t.clientId.lowercased() { out.append("tenant.client_id '\(t.clientId)' is not a lower-case GUID") }
        if !["PS256", "RS256"].contains(t.assertionAlgorithm) { out.append("tenant.assertion_algorithm is '\(t.assertionAlgorithm)'") }
        if t.privateKey == nil, ![".pfx", ".p12"].contains(where: { t.certificate.lowercased().hasSuffix($0) }) {
            out.append("no private key for the PEM certificate '\(t.certificate)'")
        }
        for (name, url) in [("tenant.login_endpoint", t.loginEndpoint), ("tenant.graph_endpoint", t.graphEndpoint)] {
            let scheme = url.scheme?.lowercased() ?? ""
            let loopback = Self.isLoopbackOracle(url.host ?? "")
            if !(scheme == "https" || (scheme == "http" && loopback)) { out.append("\(name) \(url.absoluteString) is neither https nor http on loopback") }
        }
        if !m.all, m.groups.isEmpty, m.users.isEmpty { out.append("no target mailboxes") }
        for g in c.directory.includeGroups + c.directory.excludeGroups + m.groups where UUID(uuidString: g) == nil {
            out.append("group id '\(g)' is not a GUID")
        }
        return out
    }

    /// Loopback decided another way than the loader does (glibc's `inet_pton`, which takes
    /// only four plain decimal octets for IPv4), so that a loader that accepts a name merely
    /// starting with `127.` is caught rather than copied.
    static func isLoopbackOracle(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 { return withUnsafeBytes(of: &v4) { $0[0] } == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, bare, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } == [UInt8](repeating: 0, count: 15) + [1] }
        return false
    }

    // MARK: Helpers

    struct KeyLine: Sendable {
        var index: Int
        var section: String
        var key: String
        var rhs: String
    }

    struct Claim: Sendable {
        /// The problem key that must be reported.
        var key: String
        /// A fragment its message must hold ("" for any).
        var fragment: String
        /// For a misspelling: the misspelled name, and the real names a suggestion must be among.
        var misspelling: String?
        var candidates: [String]
        var change: String
    }

    static func keyLines(_ lines: [String]) -> [KeyLine] {
        var section = ""
        var out: [KeyLine] = []
        for (index, line) in lines.enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("["), t.hasSuffix("]") {
                section = String(t.dropFirst().dropLast())
                continue
            }
            guard !t.hasPrefix("#"), let eq = t.firstIndex(of: "=") else { continue }
            let key = t[..<eq].trimmingCharacters(in: .whitespaces)
            let rhs = t[t.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            out.append(KeyLine(index: index, section: section, key: key, rhs: rhs))
        }
        return out
    }

    static func headerLines(_ lines: [String]) -> [(index: Int, section: String)] {
        var out: [(index: Int, section: String)] = []
        for (index, line) in lines.enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("["), t.hasSuffix("]") { out.append((index, String(t.dropFirst().dropLast()))) }
        }
        return out
    }

    /// The name in "did you mean 'name'?".
    static func suggestion(in message: String) -> String? {
        guard let start = message.range(of: "did you mean '") else { return nil }
        let rest = message[start.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }

    /// Levenshtein distance over Characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    /// Text for a failure message: control characters escaped, cut at `limit` characters.
    static func preview(_ text: String, limit: Int = 1_500) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            switch scalar.value {
            case 0x0A: out += "\n"
            case 0..<0x20, 0x7F: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > limit ? out + "… (\(text.unicodeScalars.count) characters)" : out
    }

    // MARK: Time box and generator



    struct Gen: FuzzGenerator {
        var rng: SeededRandom


        /// Characters a bare TOML key may hold.
        static let keyAlphabet: [Character] = Array("abcdefghijklmnopqrstuvwxyz0123456789_-ABCXYZ")

        /// `word` with one character inserted, deleted or replaced, as a bare key; nil when 20
        /// tries gave only names in `avoiding` (or `word` itself).
        mutating func misspelling(of word: String, avoiding: Set<String>) -> String? {
            for _ in 0..<20 {
                var chars = Array(word)
                let op = chars.isEmpty ? 0 : int(0...2)
                switch op {
                case 0:
                    let at = int(0...chars.count)
                    chars.insert(pick(Self.keyAlphabet), at: at)
                case 1 where chars.count > 1:
                    let at = int(0...(chars.count - 1))
                    chars.remove(at: at)
                default:
                    let at = int(0...(chars.count - 1))
                    chars[at] = pick(Self.keyAlphabet)
                }
                let name = String(chars)
                if name != word, !avoiding.contains(name) { return name }
            }
            return nil
        }

        /// A scalar of any class, surrogates excepted.
        mutating func scalar() -> Unicode.Scalar {
            let v: UInt32
            switch int(0...7) {
            case 0: v = UInt32(int(0...0x1F))
            case 1: v = UInt32(pick([0x22, 0x5C, 0x27, 0x7F, 0x20, 0x3D, 0x5B, 0x5D, 0x23, 0x2E]))  // " \ ' DEL space = [ ] # .
            case 2, 3, 4: v = UInt32(int(0x20...0x7E))
            case 5: v = UInt32(int(0x80...0xD7FF))
            case 6: v = UInt32(int(0xE000...0xFFFF))
            default: v = UInt32(int(0x10000...0x10FFFF))
            }
            return Unicode.Scalar(v) ?? "?"
        }

        mutating func text(maxLength: Int = 40) -> String {
            var s = String.UnicodeScalarView()
            let count = int(0...maxLength)
            for _ in 0..<count { s.append(scalar()) }
            return String(s)
        }

        /// A valid TOML basic string: a near-valid value or random text, escaped as TOML requires.
        mutating func tomlString() -> String {
            let content = chance(0.5) ? pick(ConfigFuzzTests.interestingStrings) : text()
            var out = "\""
            for s in content.unicodeScalars {
                switch s.value {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x09: out += "\\t"
                case 0..<0x20, 0x7F:
                    let hex = String(s.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(s)
                }
            }
            return out + "\""
        }

        mutating func randomBytes(_ count: Int) -> [UInt8] {
            var out: [UInt8] = []
            let interesting: [UInt8] = [0x00, 0x22, 0x27, 0x5C, 0x3D, 0x5B, 0x5D, 0x23, 0x0A, 0x0D, 0x09, 0x7F, 0x80, 0xC3, 0xFF, 0xEF, 0xBB, 0xBF]
            for _ in 0..<count { out.append(chance(0.5) ? pick(interesting) : UInt8.random(in: 0...255, using: &rng)) }
            return out
        }

        /// Indices of lines that look like `key = value`.
        static func keyed(_ lines: [String]) -> [Int] {
            lines.indices.filter { lines[$0].contains("=") && !lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix("#") }
        }

        /// One TOML-level mutation of `lines`, described in `steps`.
        mutating func mutate(_ lines: inout [String], _ steps: inout [String]) {
            if lines.isEmpty {
                let stray = pick(ConfigFuzzTests.strayLines)
                lines.append(stray)
                steps.append("add \(stray.debugDescription)")
                return
            }
            let at = int(0...(lines.count - 1))
            let keyed = Self.keyed(lines)
            switch int(0...10) {
            case 0:
                steps.append("delete line \(at + 1) \(lines[at].debugDescription)")
                lines.remove(at: at)
            case 1:
                let copy = lines[at]
                let to = int(0...lines.count)
                lines.insert(copy, at: to)
                steps.append("copy line \(at + 1) \(copy.debugDescription) to \(to + 1)")
            case 2:
                let other = int(0...(lines.count - 1))
                lines.swapAt(at, other)
                steps.append("swap lines \(at + 1) and \(other + 1)")
            case 3 where !keyed.isEmpty, 4 where !keyed.isEmpty:
                // The value of a key: any TOML type, or a random string.
                let k = pick(keyed)
                let line = lines[k]
                guard let eq = line.firstIndex(of: "=") else { return }
                let name = line[..<eq].trimmingCharacters(in: .whitespaces)
                let value = chance(0.5) ? pick(ConfigFuzzTests.literals).text : tomlString()
                lines[k] = "\(name) = \(value)"
                steps.append("line \(k + 1): \(lines[k].debugDescription)")
            case 5:
                // Bytes inserted anywhere in a line; invalid UTF-8 is decoded as `load` does (U+FFFD).
                var bytes = Array(lines[at].utf8)
                let count = int(1...8)
                let noise = randomBytes(count)
                let to = int(0...bytes.count)
                bytes.insert(contentsOf: noise, at: to)
                lines[at] = String(decoding: bytes, as: UTF8.self)
                steps.append("insert \(noise) into line \(at + 1) at byte \(to)")
            case 6 where !keyed.isEmpty:
                let k = pick(keyed)
                let line = lines[k]
                guard let eq = line.firstIndex(of: "=") else { return }
                let name = line[..<eq].trimmingCharacters(in: .whitespaces)
                guard let misspelled = misspelling(of: name, avoiding: []) else { return }
                lines[k] = misspelled + " " + String(line[eq...])
                steps.append("line \(k + 1): key \(name) → \(misspelled)")
            case 7:
                let stray = pick(ConfigFuzzTests.strayLines)
                let to = int(0...lines.count)
                lines.insert(stray, at: to)
                steps.append("add \(stray.debugDescription) at line \(to + 1)")
            case 8 where !keyed.isEmpty:
                let k = pick(keyed)
                let replacements = [":", "==", "", "= =", " = \"", "\u{3D}\u{3D}\u{3D}"]
                let replacement = pick(replacements)
                if let eq = lines[k].firstIndex(of: "=") { lines[k].replaceSubrange(eq...eq, with: replacement) }
                steps.append("line \(k + 1): '=' → \(replacement.debugDescription)")
            case 9:
                // A header mangled: [x] → [[x]], [x.y], x, [x
                let headers = lines.indices.filter { lines[$0].hasPrefix("[") }
                guard !headers.isEmpty else { return }
                let h = pick(headers)
                let name = lines[h].trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                let forms = ["[[\(name)]]", "[\(name).\(name)]", name, "[\(name)", "[\"\(name)\"]", "[\(name.uppercased())]"]
                lines[h] = pick(forms)
                steps.append("line \(h + 1): header → \(lines[h].debugDescription)")
            default:
                // A long or odd value for a string key.
                let k = keyed.isEmpty ? at : pick(keyed)
                let line = lines[k]
                let name = line.firstIndex(of: "=").map { line[..<$0].trimmingCharacters(in: .whitespaces) } ?? "folder"
                let long = String(repeating: "ab", count: int(100...2_000))
                lines[k] = "\(name) = \"\(long)\""
                steps.append("line \(k + 1): \(name) = a long string")
            }
        }
    }
}
