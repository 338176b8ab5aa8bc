import Foundation
import GalsyncConfig
@testable import GalsyncCore
@testable import GalsyncSources
@testable import GalsyncPlan
@testable import GraphSimulator
import SyncStore
import FuzzSupport
import Testing

/// Fuzzing galsync's handling of Graph's answers, live against the simulator: random
/// combinations of hostile `/users/delta` pages and `$batch` item answers (HostileDataTests holds
/// the hand-picked cases), served through the simulator's canned-response queue.
///
/// Each iteration runs one cycle on the hostile answers: it must end without a crash, done or
/// with a clear error (a refused round leaving the snapshot and deltaLink as they were), and the
/// state database must pass `integrity_check` and hold no deltaLink away from the Graph host.
/// Then the unused canned answers are dropped and one clean cycle (full reconcile, mass delete
/// allowed: the hostile data may have added or removed users, or claimed writes that never
/// happened) must leave every mailbox exact and the snapshot equal to the directory.
///
/// Live cycles are slow (about a second each in debug builds): each test stops after 15
/// iterations or `GALSYNC_FUZZ_SECONDS` (default 5) after its setup, whichever comes first, and
/// always runs one. The seed is random unless `GALSYNC_FUZZ_SEED` fixes it; a failure message
/// names it with the iteration and its input (truncated).
@Suite struct GraphFuzzTests {
    static let deltaRoute = "GET /users/delta"
    static let createRoute = "POST /users/{id}/contactFolders/{id}/contacts"
    static let updateRoute = "PATCH /users/{id}/contacts/{id}"
    static let deleteRoute = "DELETE /users/{id}/contacts/{id}"

    @Test func mutatedDeltaPagesAreRefusedOrAppliedAndACleanCycleConverges() async throws {
        try await SyncHarness.with(users: 8) { h in
            try await h.sync()
            let served = await h.sim.fuzzDeltaPage(baseURL: h.url, select: DirectoryReader.select)
            let base = try #require(served, "the simulator's own first /users/delta page")
            let run = FuzzRun(cap: 15)
            for i in run.iterations {
                var g = Gen(rng: run.rng(i))
                let before = try Self.snapshot(h)
                let input = g.deltaPages(base: base, baseURL: h.url, start: before.deltaLink)
                for answer in input.answers {
                    await h.sim.queueResponse(route: Self.deltaRoute, status: answer.status, body: answer.body, headers: answer.headers)
                }
                let context = "\(run.tag(i)): \(input.describe())"
                var problems: [String] = []

                var thrown: (any Error)?
                var summary: CycleSummary?
                do { summary = try await h.sync() } catch { thrown = error }
                if let error = thrown {
                    problems += Self.unclear(error)
                    // A refused round (bad data, or Graph's error on a page) is refused before anything is written.
                    var refusedRound = Self.typeName(error) == "GraphClient.GraphError"
                    if let e = error as? SyncError, case .badData = e { refusedRound = true }
                    if refusedRound {
                        let after = try Self.snapshot(h)
                        if after.users != before.users { problems.append("the round was refused (\(error)) but the snapshot changed") }
                        if after.deltaLink != before.deltaLink { problems.append("the round was refused (\(error)) but the deltaLink changed") }
                    }
                }
                if let summary { problems += Self.unexplained(summary) }
                problems += try Self.stateProblems(h)

                // Clean again: no canned answers, every delta token stale (a full enumeration).
                let unused = await h.sim.fuzzDropCannedResponses()
                await h.sim.expireDeltaTokens()
                problems += try await Self.cleanCycleProblems(h)
                await h.expectExact(" — \(context)")
                if !problems.isEmpty {
                    Issue.record("\(context); \(unused) canned answers unused — \(problems.joined(separator: "; "))")
                    break
                }
            }
        }
    }

    @Test func hostileBatchItemAnswersFailMailboxesNotTheCycle() async throws {
        try await SyncHarness.with(users: 8) { h in
            try await h.sync()
            let run = FuzzRun(cap: 15)
            var hires: [String] = []
            for i in run.iterations {
                var g = Gen(rng: run.rng(i))
                var log: [String] = []

                // Directory changes, so that the cycle has updates (always), creates and deletes to send.
                var routes = [Self.updateRoute]
                let sources = await h.expectedSources().compactMap { $0["id"]?.stringValue }
                let retitled = g.int(1...2)
                for id in g.sample(sources, retitled) {
                    let title = "Fuzz \(i)-\(g.int(0...999_999))"
                    try await h.sim.updateUser(id, ["jobTitle": .string(title)])
                    log.append("\(id): jobTitle \(title)")
                }
                if g.chance(0.6) {
                    let n = g.int(0...999_999)
                    let mail = "fuzz.hire.\(i).\(n)@contoso.com"
                    let id = try await h.sim.createUser(["displayName": .string("Fuzz Hire \(i)-\(n)"), "givenName": "Fuzz", "surname": .string("Hire \(n)"),
                                                         "mail": .string(mail), "userPrincipalName": .string(mail)], hasMailbox: false)
                    hires.append(id)
                    routes.append(Self.createRoute)
                    log.append("hired \(id)")
                }
                if hires.count > 1, g.chance(0.4) {
                    let id = hires.removeFirst()
                    try await h.sim.deleteUser(id)
                    routes.append(Self.deleteRoute)
                    log.append("deleted \(id)")
                }
                // 1–6 hostile answers for the items of those routes, in whatever order the batches take them.
                let count = g.int(1...6)
                for _ in 0..<count {
                    let route = g.pick(routes)
                    let answer = g.batchItemAnswer()
                    await h.sim.queueResponse(route: route, status: answer.status, body: answer.body, headers: answer.headers)
                    let wait = answer.headers["Retry-After"].map { "Retry-After \($0) " } ?? ""
                    log.append("\(route) answered \(answer.status) \(wait)\(FuzzRun.preview(answer.body, limit: 200))")
                }
                let context = "\(run.tag(i)): \(log.joined(separator: "; "))"
                var problems: [String] = []

                do {
                    let summary = try await h.sync()
                    problems += Self.unexplained(summary)
                } catch {
                    problems.append("the cycle ended with \(Self.typeName(error)) (a bad item answer must fail its mailbox only): \(error)")
                }
                problems += try Self.stateProblems(h)

                let unused = await h.sim.fuzzDropCannedResponses()
                problems += try await Self.cleanCycleProblems(h)
                await h.expectExact(" — \(context)")
                if !problems.isEmpty {
                    Issue.record("\(context); \(unused) canned answers unused — \(problems.joined(separator: "; "))")
                    break
                }
            }
        }
    }

    // MARK: What must hold

    struct Snapshot: Equatable {
        var users: [String: String]
        var deltaLink: String?
    }

    static func snapshot(_ h: SyncHarness) throws -> Snapshot {
        let store = try StateStore(path: h.statePath)
        return Snapshot(users: try store.directoryUsers(), deltaLink: try store.meta("delta_link"))
    }

    static func typeName(_ error: any Error) -> String { String(reflecting: type(of: error)) }

    /// A cycle-level failure must be galsync's own kind of error (GraphClient's types are named,
    /// not imported: this target does not depend on GraphClient directly), with a description.
    static func unclear(_ error: any Error) -> [String] {
        var out: [String] = []
        let name = typeName(error)
        if !(error is SyncError) && !["GraphClient.GraphError", "GraphClient.GraphLinkError"].contains(name) {
            out.append("the cycle ended with \(name), not a SyncError or a Graph error: \(error)")
        }
        if "\(error)".isEmpty { out.append("the cycle ended with an error that says nothing (\(name))") }
        return out
    }

    /// Every failed or skipped mailbox says why.
    static func unexplained(_ summary: CycleSummary) -> [String] {
        var out: [String] = []
        for (owner, why) in summary.problems where why.isEmpty { out.append("mailbox \(owner) is listed with no reason") }
        if summary.mailboxesFailed > summary.problems.count { out.append("\(summary.mailboxesFailed) mailboxes failed, \(summary.problems.count) explained") }
        return out
    }

    /// What must hold of the state database after any cycle, however it ended.
    static func stateProblems(_ h: SyncHarness) throws -> [String] {
        let store = try StateStore(path: h.statePath)
        var out: [String] = []
        let integrity = try store.integrityCheck()
        if integrity != "ok" { out.append("integrity_check: \(integrity)") }
        if let link = try store.meta("delta_link") {
            let saved = URL(string: link), graph = URL(string: h.url)
            if saved?.scheme != graph?.scheme || saved?.host != graph?.host || saved?.port != graph?.port {
                out.append("a deltaLink away from the Graph host was saved: \(link.prefix(200))")
            }
        }
        for (id, json) in try store.directoryUsers() {
            if id.isEmpty { out.append("a user without an id in the snapshot") }
            if JSONValue.parse(Data(json.utf8))?.objectValue == nil { out.append("the snapshot of user \(id.prefix(60)) is not a JSON object") }
        }
        return out
    }

    /// One clean cycle (full reconcile; the mass-delete valve open, as the operator would after
    /// `galsync plan`): no failed mailbox, and the snapshot is the directory.
    static func cleanCycleProblems(_ h: SyncHarness) async throws -> [String] {
        var out: [String] = []
        do {
            let clean = try await h.sync {
                $0.forceReconcile = true
                $0.allowMassDelete = true
            }
            if clean.mailboxesFailed != 0 { out.append("the clean cycle failed \(clean.mailboxesFailed) mailboxes: \(clean.problems)") }
        } catch {
            out.append("the clean cycle ended with \(typeName(error)): \(error)")
        }
        out += try stateProblems(h)
        let users = try StateStore(path: h.statePath).directoryUsers()
        let snapshot = Set(users.keys)
        let directory = Set(await h.sim.allUserIds)
        if snapshot != directory {
            out.append("after the clean cycle the snapshot is not the directory (\(snapshot.symmetricDifference(directory).count) users differ)")
        }
        return out
    }


    // MARK: Hostile answers

    struct CannedAnswer: Sendable {
        var status: Int
        var body: Data
        var headers: [String: String]
    }

    struct FuzzInput: Sendable {
        var answers: [CannedAnswer] = []
        var log: [String] = []

        func describe() -> String {
            let pages = answers.enumerated().map { "#\($0.offset + 1) \($0.element.status) \(FuzzRun.preview($0.element.body, limit: 400))" }
            return "\(log.joined(separator: "; ")); canned: \(pages.joined(separator: " | "))"
        }
    }

    static let json: [String: String] = ["Content-Type": "application/json"]
    /// Links a token must never follow: other hosts, ports and schemes, relative and protocol-relative.
    static let awayLinks: [String] = [
        "https://evil.example.com/v1.0/users/delta?$skiptoken=x", "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:1/v1.0/users/delta", "https://graph.microsoft.com.evil.example/v1.0/users/delta",
        "//evil.example.com/v1.0/users/delta", "http://user@evil.example.com/v1.0/users/delta",
        "ftp://127.0.0.1/v1.0/users/delta", "/v1.0/users/delta?$deltatoken=relative", "not a link", "", "http://[::1",
    ]
    /// Ids no directory hands out, without control characters (the state keys users by id).
    static let oddIds: [String] = [
        "../../etc/passwd", "a/b?c=d#e", "ID WITH SPACES", "ümlaut-ıd-ß", "😀", "%2F%2E%2E", "'; DROP TABLE directory_user; --",
        "\u{202E}txt.exe", "id\u{200B}zero-width", "x",
    ]
    static let oddStrings: [String] = ["Guest", "guest", "GUEST", "Member", "true", "false", "null", "0", "@", "a@b", "<script>", "\u{FEFF}", "\u{0}"]
    static let properties = DirectoryUser.selectedProperties.filter { $0 != "id" }
    static let interesting: [UInt8] = [0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x00, 0x1F, 0x7F, 0x80, 0xC0, 0xFF, 0x20, 0x6E]
    static let errorCodes: [String] = ["ErrorItemNotFound", "ErrorInvalidIdMalformed", "ErrorAccessDenied", "MailboxNotEnabledForRESTAPI",
                             "ErrorQuotaExceeded", "ErrorFolderNotFound", "ErrorInternalServerError", ""]

    // MARK: Time box and generator


    struct Gen: FuzzGenerator {
        var rng: SeededRandom


        /// Text with control characters, quotes, backslashes, direction marks, non-ASCII and astral scalars.
        mutating func text(maxLength: Int = 40) -> String {
            var s = String.UnicodeScalarView()
            let count = int(0...maxLength)
            for _ in 0..<count {
                let v: UInt32
                switch int(0...7) {
                case 0: v = UInt32(int(0...0x1F))
                case 1: v = UInt32(pick([0x22, 0x5C, 0x27, 0x7F, 0x200F, 0x202E, 0xFEFF, 0xFFFD]))
                case 2, 3, 4: v = UInt32(int(0x20...0x7E))
                case 5: v = UInt32(int(0x80...0xD7FF))
                case 6: v = UInt32(int(0xE000...0xFFFF))
                default: v = UInt32(int(0x10000...0x10FFFF))
                }
                s.append(Unicode.Scalar(v) ?? "?")
            }
            return String(s)
        }

        /// A value of the wrong type, empty, blank, huge, or odd.
        mutating func hostileValue() -> JSONValue {
            switch int(0...11) {
            case 0: return .null
            case 1: return .bool(chance(0.5))
            case 2:
                let numbers: [Double] = [0, -1, 42, 3.5, 1e300, -1e-300]
                return .number(pick(numbers))
            case 3:
                let unit: String = pick(["A", "é", "😀", " ", "\u{200F}"])
                let count = int(256...50_000)
                return .string(String(repeating: unit, count: count))
            case 4, 5: return .string(text())
            case 6:
                var phones: [JSONValue] = []
                let count = int(0...2_000)
                for n in 0..<count { phones.append(.string("+1 555 \(n)")) }
                return .array(phones)
            case 7: return .array([.number(1), .null, .object(["x": .string("y")]), .array([])])
            case 8: return .object(["nested": .object(["deep": .array([.string(text())])])])
            case 9: return .string("")
            case 10: return .string("  \t ")
            default: return .string(pick(GraphFuzzTests.oddStrings))
            }
        }

        /// A user nobody has heard of, in scope (mail, enabled): contacts are made for it everywhere
        /// and its own mailbox is tried.
        mutating func strangerEntry() -> JSONValue {
            let n = int(0...999_999)
            let id: String
            switch int(0...3) {
            case 0: id = pick(GraphFuzzTests.oddIds)
            case 1:
                let unit: String = pick(["a", "é", "0", "-"])
                let count = int(100...300)
                id = String(repeating: unit, count: count)
            default: id = rng.guid()
            }
            return .object(["id": .string(id), "displayName": .string("Stranger \(n) \(text(maxLength: 8))"), "mail": .string("stranger.\(n)@contoso.com"),
                            "userPrincipalName": .string("stranger.\(n)@contoso.com"), "accountEnabled": .bool(true), "userType": .string("Member"),
                            "businessPhones": .array([])])
        }

        /// One change to the entries of a delta round.
        mutating func mutateEntries(_ entries: inout [JSONValue], _ log: inout [String]) {
            if entries.isEmpty || int(0...7) == 0 {
                let stranger = strangerEntry()
                let at = int(0...entries.count)
                entries.insert(stranger, at: at)
                log.append("a stranger \(String((stranger["id"]?.stringValue ?? "").prefix(40)).debugDescription)")
                return
            }
            let at = int(0...(entries.count - 1))
            guard var o = entries[at].objectValue else {
                entries.remove(at: at)
                log.append("entry \(at) (not an object) dropped")
                return
            }
            let id = o["id"]?.stringValue ?? "?"
            let who = "entry \(at) (\(id.prefix(40)))"
            var twin: JSONValue?
            switch int(0...15) {
            case 0:
                o.removeValue(forKey: "id")
                log.append("\(who) without id")
            case 1:
                let odd: [JSONValue] = [.number(42), .bool(true), .null, .array([.string(id)]), .object(["id": .string(id)])]
                let value = pick(odd)
                o["id"] = value
                log.append("\(who) id \(String(decoding: value.encoded(), as: UTF8.self))")
            case 2:
                o["id"] = .string("")
                log.append("\(who) id empty")
            case 3:
                let replacement = pick(GraphFuzzTests.oddIds)
                o["id"] = .string(replacement)
                log.append("\(who) id \(replacement.debugDescription)")
            case 4:
                // Another entry's id: two users claim one id (an upper-cased real id is not used:
                // galsync lower-cases the tags it lists, as Graph's ids are GUIDs).
                let other = int(0...(entries.count - 1))
                let otherId: JSONValue = entries[other]["id"] ?? .string(id)
                o["id"] = otherId
                log.append("\(who) id of entry \(other)")
            case 5:
                // The same user twice in the round, differing in one property.
                var copy = o
                let key: String = pick(GraphFuzzTests.properties)
                copy[key] = hostileValue()
                twin = .object(copy)
                log.append("\(who) twice, \(key) differing")
            case 6:
                let marks: [JSONValue] = [["reason": "deleted"], ["reason": "changed"], .number(1), .string("yes"), .null, .array([])]
                let mark = pick(marks)
                o["@removed"] = mark
                log.append("\(who) @removed \(String(decoding: mark.encoded(), as: UTF8.self))")
            case 7, 8, 9, 10:
                let key: String = pick(GraphFuzzTests.properties)
                let value = hostileValue()
                o[key] = value
                log.append("\(who) \(key) = \(FuzzRun.preview(value.encoded(), limit: 60))")
            case 11:
                let key: String = pick(GraphFuzzTests.properties)
                o.removeValue(forKey: key)
                log.append("\(who) without \(key)")
            case 12:
                let key: String = pick(["@odata.type", "manager", "employeeId", "onPremisesExtensionAttributes", "@odata.etag", "value"])
                o[key] = hostileValue()
                log.append("\(who) with \(key)")
            case 13:
                let others: [JSONValue] = [.number(7), .string("user"), .array([.object(o)]), .null, .bool(false)]
                entries[at] = pick(others)
                log.append("\(who) replaced by a non-object")
                return
            case 14:
                entries.remove(at: at)
                log.append("\(who) left out")
                return
            default:
                entries.shuffle(using: &rng)
                log.append("entries shuffled")
                return
            }
            entries[at] = .object(o)
            if let twin {
                let to = int(0...entries.count)
                entries.insert(twin, at: to)
            }
        }

        /// The simulator's own first page, mutated into 1–3 canned pages: entries changed, then
        /// maybe a link, a status or the bytes. Pages are chained by nextLinks on the Graph host
        /// and the last carries the simulator's deltaLink; a link is only ever replaced by one
        /// galsync must refuse (another host, not a URL, not a string, missing) or by a loop, never
        /// by another link on the Graph host (whose token the simulator would refuse as malformed).
        mutating func deltaPages(base: JSONValue, baseURL: String, start: String?) -> FuzzInput {
            var input = FuzzInput()
            var entries = base["value"]?.arrayValue ?? []
            let changes = int(1...6)
            for _ in 0..<changes { mutateEntries(&entries, &input.log) }

            let count = min(int(1...3), max(1, entries.count))
            let size = (entries.count + count - 1) / count
            var pages: [[String: JSONValue]] = []
            for p in 0..<count {
                let chunk = Array(entries.dropFirst(p * size).prefix(size))
                var page: [String: JSONValue] = ["@odata.context": .string("\(baseURL)/v1.0/$metadata#users"), "value": .array(chunk)]
                if p < count - 1 {
                    page["@odata.nextLink"] = .string("\(baseURL)/v1.0/users/delta?$skiptoken=fuzz\(p)")
                } else {
                    page["@odata.deltaLink"] = base["@odata.deltaLink"] ?? JSONValue.string("")
                }
                pages.append(page)
            }
            let last = pages.count - 1

            if chance(0.35) {
                let p = int(0...last)
                let odd: [JSONValue] = [.number(1), .null, .array([]), .object(["href": .string("\(baseURL)/v1.0/users/delta")]), .bool(true)]
                switch int(0...8) {
                case 0:
                    let link = pick(GraphFuzzTests.awayLinks)
                    pages[p]["@odata.nextLink"] = .string(link)
                    input.log.append("page \(p + 1) nextLink \(link.debugDescription)")
                case 1:
                    // Back to where the round started: a loop.
                    pages[p]["@odata.nextLink"] = .string(start ?? "\(baseURL)/v1.0/users/delta?$skiptoken=fuzz0")
                    input.log.append("page \(p + 1) nextLink back to the start")
                case 2:
                    for q in 0...last { pages[q]["@odata.nextLink"] = .string("\(baseURL)/v1.0/users/delta?$skiptoken=loop") }
                    input.log.append("every page's nextLink the same")
                case 3:
                    let value = pick(odd)
                    pages[p]["@odata.nextLink"] = value
                    input.log.append("page \(p + 1) nextLink \(String(decoding: value.encoded(), as: UTF8.self))")
                case 4:
                    pages[last].removeValue(forKey: "@odata.deltaLink")
                    input.log.append("no deltaLink")
                case 5:
                    let link = pick(GraphFuzzTests.awayLinks)
                    pages[last]["@odata.deltaLink"] = .string(link)
                    input.log.append("deltaLink \(link.debugDescription)")
                case 6:
                    let value = pick(odd)
                    pages[last]["@odata.deltaLink"] = value
                    input.log.append("deltaLink \(String(decoding: value.encoded(), as: UTF8.self))")
                case 7:
                    let values: [JSONValue] = [.object([:]), .string("value"), .number(1), .null]
                    if chance(0.3) { pages[p].removeValue(forKey: "value") } else { pages[p]["value"] = pick(values) }
                    input.log.append("page \(p + 1) value broken")
                default:
                    pages[last]["@odata.nextLink"] = .string("\(baseURL)/v1.0/users/delta?$skiptoken=fuzz-after-the-last")
                    input.log.append("the last page has a nextLink too")
                }
            }
            input.answers = pages.map { CannedAnswer(status: 200, body: JSONValue.object($0).encoded(), headers: GraphFuzzTests.json) }

            if chance(0.2) {
                // Graph's error in place of a page: retried (429, 5xx), a restart (410,
                // syncStateNotFound), a new token (401) or the end of the round; the request after
                // it gets the next canned page, or the simulator's own answer.
                let p = int(0...last)
                let errors: [(status: Int, code: String)] = [(429, "TooManyRequests"), (503, "serviceNotAvailable"), (500, "generalException"),
                                                             (504, "gatewayTimeout"), (410, "resyncRequired"), (400, "syncStateNotFound"),
                                                             (400, "BadRequest"), (404, "ResourceNotFound"), (401, "InvalidAuthenticationToken"),
                                                             (403, "Authorization_RequestDenied")]
                let e = pick(errors)
                let body: Data
                switch int(0...4) {
                case 0: body = Data("<html><body>Service Unavailable</body></html>".utf8)
                case 1:
                    let odd: [JSONValue] = [["error": .string(e.code)], .array([]), .string("oops"), ["error": ["code": .number(7)]]]
                    body = pick(odd).encoded()
                default:
                    body = JSONValue.object(["error": ["code": .string(e.code), "message": .string(text())]]).encoded()
                }
                var headers = GraphFuzzTests.json
                headers["Retry-After"] = "0"
                input.answers[p] = CannedAnswer(status: e.status, body: body, headers: headers)
                input.log.append("page \(p + 1) replaced by \(e.status) \(e.code)")
            }

            if chance(0.2) {
                // Bytes: the page cut short anywhere, or flipped, inserted or deleted after the
                // start of "value" (the links, before it in the sorted keys, stay intact).
                let p = int(0...last)
                var bytes = [UInt8](input.answers[p].body)
                if chance(0.4) || bytes.count < 2 {
                    let cut = int(0...max(0, bytes.count - 1))
                    bytes.removeSubrange(cut...)
                    input.log.append("page \(p + 1) cut to \(cut) bytes")
                } else if let marker = Self.firstIndex(of: Array(#""value":"#.utf8), in: bytes) {
                    let rounds = int(1...3)
                    for _ in 0..<rounds where bytes.count > marker + 1 {
                        let at = int(marker...(bytes.count - 1))
                        switch int(0...2) {
                        case 0:
                            let bit = UInt8(1) << UInt8(int(0...7))
                            bytes[at] ^= bit
                        case 1:
                            let x = pick(GraphFuzzTests.interesting)
                            bytes.insert(x, at: at)
                        default:
                            bytes.remove(at: at)
                        }
                    }
                    input.log.append("page \(p + 1) bytes changed after \"value\"")
                }
                input.answers[p].body = Data(bytes)
            }
            return input
        }

        static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
            guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
            for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
                if Array(haystack[start..<(start + needle.count)]) == needle { return start }
            }
            return nil
        }

        /// A hostile answer for one `$batch` item: any status (odd ones too), a body of the wrong
        /// shape, none, or not JSON (the simulator then sends it base64-encoded, as Graph does).
        /// 429s say "MailboxConcurrency" and wait 0 s or less, so they neither teach the request-rate
        /// model nor slow the run; Retry-After values stay small and finite.
        mutating func batchItemAnswer() -> CannedAnswer {
            var headers = GraphFuzzTests.json
            let statuses = [200, 201, 201, 204, 400, 403, 404, 404, 409, 412, 429, 500, 502, 503, 504, 0, 302, 999]
            let status = pick(statuses)
            if status == 429 {
                let waits = ["0", "-1", "0.1"]
                headers["Retry-After"] = pick(waits)
                let body: JSONValue = ["error": ["code": "ApplicationThrottled", "message": "Application is over its MailboxConcurrency limit."]]
                return CannedAnswer(status: 429, body: body.encoded(), headers: headers)
            }
            if status >= 500, chance(0.5) { headers["Retry-After"] = "0" }
            switch int(0...9) {
            case 0: return CannedAnswer(status: status, body: Data(), headers: headers)
            case 1:
                var noise: [UInt8] = []
                let count = int(1...64)
                for _ in 0..<count { noise.append(UInt8.random(in: 0...255, using: &rng)) }
                noise[0] = UInt8(ascii: "<")  // never JSON
                return CannedAnswer(status: status, body: Data(noise), headers: headers)
            default: break
            }
            var body: [String: JSONValue]
            if (200..<300).contains(status) {
                body = ["id": .string("AAMkADfuzz\(rng.guid())"), "displayName": .string(text()), "@odata.etag": .string("W/\"CQAAABYAAAB\"")]
            } else {
                let code = pick(GraphFuzzTests.errorCodes)
                body = ["error": ["code": .string(code), "message": .string(text()), "innerError": ["request-id": .string(rng.guid())]]]
            }
            var value = JSONValue.object(body)
            let changes = int(0...3)
            for _ in 0..<changes {
                switch int(0...7) {
                case 0: body.removeValue(forKey: "id")
                case 1:
                    let odd: [JSONValue] = [.number(7), .null, .bool(true), .array([]), .object([:])]
                    body["id"] = pick(odd)
                case 2: body["id"] = .string("")
                case 3:
                    let count = int(256...20_000)
                    body["id"] = .string(String(repeating: "A", count: count))
                case 4: body["error"] = .string(text())
                case 5:
                    let odd: [JSONValue] = [.number(7), .null, .array([.string("ErrorItemNotFound")])]
                    body["error"] = ["code": pick(odd), "message": .string(text())]
                case 6:
                    let count = int(1_000...50_000)
                    body["error"] = ["code": .string("ErrorInternalServerError"), "message": .string(String(repeating: "m", count: count))]
                default: break
                }
                value = .object(body)
            }
            if chance(0.1) {
                let shapes: [JSONValue] = [.array([value]), .string(text()), .number(1), .null]
                value = pick(shapes)
            }
            return CannedAnswer(status: status, body: value.encoded(), headers: headers)
        }
    }
}

extension GraphSimulator {
    /// The first `/users/delta` page exactly as the simulator serves it (straight from its
    /// handler, not through the canned-response queue or the counters).
    func fuzzDeltaPage(baseURL: String, select: String) -> JSONValue? {
        usersDelta(SimRequest(method: "GET", target: "/v1.0/users/delta?$select=\(select)", baseURL: baseURL)).json
    }

    /// Drops every queued canned answer; returns how many were never used.
    func fuzzDropCannedResponses() -> Int {
        let unused = cannedResponses.values.reduce(0) { $0 + $1.count }
        cannedResponses = [:]
        return unused
    }
}
