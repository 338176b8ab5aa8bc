import Foundation
@testable import GalsyncConfig
import Testing

@Suite struct ConfigurationLoaderTests {
    static let minimal = """
        [tenant]
        id = "contoso.onmicrosoft.com"
        client_id = "11111111-2222-3333-4444-555555555555"
        certificate = "/etc/galsync/galsync.crt"
        private_key = "/etc/galsync/galsync.key"

        [mailboxes]
        all = true
        """

    func problems(_ text: String, environment: [String: String] = [:]) -> [ConfigurationError.Problem] {
        do {
            _ = try ConfigurationLoader.parse(text, environment: environment)
            return []
        } catch {
            return error.problems
        }
    }

    /// The example the package installs loads, and says what the defaults say (an example that
    /// still set concurrency = 16 after the default became 1024 went unnoticed once).
    @Test func theShippedExampleLoadsWithTheDefaults() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("etc/galsync/galsync.toml"), encoding: .utf8)
        let c = try ConfigurationLoader.parse(text, environment: [:])
        let defaults = Configuration.SyncSettings()
        #expect(c.sync.concurrency == defaults.concurrency && c.sync.driftCheck == defaults.driftCheck)
        #expect(c.sync.fullReconcile == defaults.fullReconcile && c.sync.interval == defaults.interval)
    }

    @Test func minimalConfigGetsTheDocumentedDefaults() throws {
        let c = try ConfigurationLoader.parse(Self.minimal, environment: [:])
        #expect(c.tenant.cloud == .global)
        #expect(c.tenant.loginEndpoint.absoluteString == "https://login.microsoftonline.com")
        #expect(c.tenant.graphEndpoint.absoluteString == "https://graph.microsoft.com")
        #expect(c.tenant.assertionAlgorithm == "PS256")
        #expect(c.sync.interval == 900 && c.sync.fullReconcile == 86_400 && c.sync.maxDeletesPercent == 20)
        #expect(c.sync.folder == "Company Directory")
        #expect(c.sync.driftCheck == 3600 && c.sync.concurrency == 1024)
        let every = try ConfigurationLoader.parse(Self.minimal.replacingOccurrences(of: "[mailboxes]", with: "[sync]\ndrift_check = \"0\"\n[mailboxes]"), environment: [:])
        #expect(every.sync.driftCheck == 0, "\"0\" is at every cycle")
        #expect(c.sync.state == "/var/lib/galsync/state.db")
        #expect(c.directory.require == ["mail"] && !c.directory.includeGuests && !c.directory.includeDisabled)
        let systemd = try ConfigurationLoader.parse(Self.minimal, environment: ["STATE_DIRECTORY": "/var/lib/galsync"])
        #expect(systemd.sync.state == "/var/lib/galsync/state.db")
    }

    @Test(arguments: [
        (Cloud.usgov, "https://login.microsoftonline.us", "https://graph.microsoft.us"),
        (.usgovDoD, "https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
        (.china, "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
    ])
    func cloudsPickTheirEndpoints(cloud: Cloud, login: String, graph: String) throws {
        let c = try ConfigurationLoader.parse(Self.minimal.replacingOccurrences(of: "[mailboxes]", with: "cloud = \"\(cloud.rawValue)\"\n[mailboxes]"), environment: [:])
        #expect(c.tenant.loginEndpoint.absoluteString == login && c.tenant.graphEndpoint.absoluteString == graph)
    }

    @Test func aTypoIsAnErrorWithASuggestionNotASilentDefault() {
        let p = problems(Self.minimal + "\n[directory]\ninclde_groups = [\"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\"]\n")
        #expect(p.count == 1)
        #expect(p.first?.key == "directory.inclde_groups")
        #expect(p.first?.message.contains("did you mean 'include_groups'") == true)
        #expect(problems(Self.minimal + "\n[mailbox]\nall = true\n").first?.message.contains("did you mean 'mailboxes'") == true)
    }

    @Test(arguments: [
        ("[sync]\ninterval = \"15 minutes\"", "sync.interval", "duration"),
        ("[sync]\ninterval = \"10s\"", "sync.interval", "too short"),
        ("[sync]\ninterval = 15", "sync.interval", "string"),
        ("[sync]\nmax_deletes_percent = \"20\"", "sync.max_deletes_percent", "without quotes"),
        ("[sync]\nmax_deletes_percent = 150", "sync.max_deletes_percent", "0…100"),
        ("[sync]\nconcurrency = 0", "sync.concurrency", "1…4096"),
        ("[sync]\ndrift_check = \"10s\"", "sync.drift_check", "too short"),
        ("[sync]\ndrift_check = 0", "sync.drift_check", "string"),
        ("[directory]\ninclude_guests = \"yes\"", "directory.include_guests", "true or false"),
        ("[directory]\ninclude_groups = [\"Sales\"]", "directory.include_groups", "GUID"),
        ("[directory]\nrequire = [\"email\"]", "directory.require", "not a user attribute"),
        ("[contact]\nexclude_fields = [\"phone\"]", "contact.exclude_fields", "not a contact field"),
        ("[mailboxes]\nusers = \"a@b.c\"", "mailboxes.users", "list of strings"),
    ])
    func badValuesNameTheKeyAndTheFix(extra: String, key: String, fragment: String) {
        let base = Self.minimal.replacingOccurrences(of: "[mailboxes]\nall = true", with: "")
        let text = base + "\n" + extra + (extra.hasPrefix("[mailboxes]") ? "\nall = true\n" : "\n[mailboxes]\nall = true\n")
        let p = problems(text)
        #expect(p.contains { $0.key == key && $0.message.contains(fragment) }, "\(p)")
    }

    @Test func endpointsMustBeHTTPSExceptOnLoopback() throws {
        func with(_ line: String) -> String { Self.minimal.replacingOccurrences(of: "[mailboxes]", with: "\(line)\n[mailboxes]") }
        #expect(problems(with("graph_endpoint = \"http://graph.example.com\"")).first?.message.contains("loopback") == true)
        #expect(problems(with("graph_endpoint = \"ftp://graph.example.com\"")).first?.key == "tenant.graph_endpoint")
        #expect(problems(with("login_endpoint = \"https://login.example.com/path\"")).first?.key == "tenant.login_endpoint")
        let sim = try ConfigurationLoader.parse(with("graph_endpoint = \"http://127.0.0.1:8080/\"\nlogin_endpoint = \"http://localhost:8080\""), environment: [:])
        #expect(sim.tenant.graphEndpoint.absoluteString == "http://127.0.0.1:8080")
        #expect(sim.tenant.loginEndpoint.absoluteString == "http://localhost:8080")
    }

    @Test func missingRequiredKeysAreAllReportedAtOnce() {
        let p = problems("[mailboxes]\nall = true\n")
        #expect(Set(p.map(\.key)) == ["tenant.id", "tenant.client_id", "tenant.certificate"])
        #expect(p.allSatisfy { $0.message.hasPrefix("missing") })
    }

    @Test func noTargetsAndBadIdsAreRefused() {
        #expect(problems(Self.minimal.replacingOccurrences(of: "all = true", with: "")).first?.key == "mailboxes")
        #expect(problems(Self.minimal.replacingOccurrences(of: "11111111-2222-3333-4444-555555555555", with: "my-app")).first?.key == "tenant.client_id")
        #expect(problems(Self.minimal.replacingOccurrences(of: "contoso.onmicrosoft.com", with: "contoso tenant")).first?.key == "tenant.id")
    }

    @Test func pkcs12NeedsNoSeparateKey() throws {
        let text = Self.minimal.replacingOccurrences(of: "galsync.crt", with: "galsync.pfx").replacingOccurrences(of: "private_key = \"/etc/galsync/galsync.key\"\n", with: "")
        #expect(try ConfigurationLoader.parse(text, environment: [:]).tenant.privateKey == nil)
        let pem = Self.minimal.replacingOccurrences(of: "private_key = \"/etc/galsync/galsync.key\"\n", with: "")
        #expect(problems(pem).first?.key == "tenant.private_key")
    }

    @Test func syntaxErrorsGiveTheLine() {
        let p = problems("[tenant]\nid = \"x\"\nclient_id = \n")
        #expect(p.first?.message.contains("line 3") == true, "\(p)")
    }

    @Test func configPathPrecedence() {
        #expect(ConfigurationLoader.path(explicit: nil, environment: [:]) == "/etc/galsync/galsync.toml")
        #expect(ConfigurationLoader.path(explicit: nil, environment: ["GALSYNC_CONFIG": "/tmp/a.toml"]) == "/tmp/a.toml")
        #expect(ConfigurationLoader.path(explicit: "/tmp/b.toml", environment: ["GALSYNC_CONFIG": "/tmp/a.toml"]) == "/tmp/b.toml")
    }

    @Test func aMissingFileSaysWhatToDo() {
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.load(path: "/nonexistent/galsync.toml") }
    }
}

/// Inputs that made the C++ TOML library (toml++, behind TOMLKit) abort the process with an
/// assertion, so `galsync check` or a reload on SIGHUP crashed: found by ConfigFuzzTests.
/// With galsync's own parser each is a configuration error that names its line.
@Suite struct TOMLCrashInputTests {
    @Test(arguments: [
        "[", "[\n", "[[\n", "[ \n", "[!]", "[#]", "[=]", "[tenant]\nid = \"x\"\n[\n",
        "a=1\r\n[!x]\r\n", "\u{FEFF}[!x]\n", "a = [}]\n", "a = [1,\u{2028}]\n", "a = { b = [ } ] }\n", "[[[1]]]\n",
    ])
    func isAnErrorNotACrash(_ text: String) {
        do {
            _ = try ConfigurationLoader.parse(text, file: "t.toml", environment: [:])
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.problems.count == 1 && error.problems[0].message.hasPrefix("not valid TOML at line "), "\(error)")
        }
    }

    @Test func crlfFilesAndAByteOrderMarkLoadLikeAnyOther() throws {
        let lines = ["[tenant]", "id = \"contoso.onmicrosoft.com\"", "[mailboxes]", "all = true"]
        let root = try TOMLParser.parse("\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n")
        guard case .table(let mailboxes)? = root["mailboxes"], case .bool(true)? = mailboxes["all"] else {
            Issue.record("\(root)")
            return
        }
    }
}

/// "cannot read" and "no such file" are different answers with different fixes.
@Suite struct UnreadableConfigTests {
    @Test func missingAndFolderAreSaidAsSuch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-perm-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(ConfigurationLoader.unreadable(dir + "/galsync.toml").hasPrefix("no such file"))
        #expect(ConfigurationLoader.unreadable(dir).hasPrefix("is a folder"))
    }
}

/// `[directory] where` and `[mailboxes] where`: parsed and checked once, at load.
@Suite struct WhereRuleConfigTests {
    func load(_ directory: String, _ mailboxes: String = "") throws(ConfigurationError) -> Configuration {
        try ConfigurationLoader.parse(ConfigurationLoaderTests.minimal.replacingOccurrences(of: "all = true", with: "all = true\nwhere = \"\(mailboxes)\"")
                                      + "\n[directory]\nwhere = \"\(directory)\"\n", environment: [:])
    }

    @Test func rulesLoadWithGraphsSpellingAndAnEmptyOneIsNoRule() throws {
        let c = try load("not (Department eq 'IT') and onpremisesextensionattributes/extensionAttribute1 ne 'TEST'", "startswith(officeLocation,'HQ')")
        #expect(c.directory.where?.properties == ["department", "onPremisesExtensionAttributes"])
        #expect(c.mailboxes.where?.text == "startswith(officeLocation,'HQ')")
        let none = try load("", "  ")
        #expect(none.directory.where == nil && none.mailboxes.where == nil)
    }

    @Test(arguments: [
        ("department eq Sales", "directory.where", "column 15: 'Sales' is not a value", "department eq Sales\n                    ^"),
        ("deparment eq 'Sales'", "directory.where", "column 1: 'deparment' is not a property of a Graph user (did you mean 'department'?)", "^"),
        ("showInAddressList eq false", "directory.where", "use [directory] honor_hidden", "^"),
        ("(mail ne null", "directory.where", "column 14: expected ')'", "^"),
    ])
    func aMistakeIsAConfigErrorThatPointsAtTheColumn(_ rule: String, _ key: String, _ says: String, _ caret: String) {
        do {
            _ = try load(rule)
            Issue.record("loaded \(rule)")
        } catch {
            let problem = error.problems.first { $0.key == key }
            #expect(problem?.message.contains(says) == true, "\(error)")
            #expect(problem?.message.contains(caret) == true, "\(error)")
        }
    }

    @Test func bothRulesAreReportedAtOnce() {
        do {
            _ = try load("mail eq", "jobTitle eq 3")
            Issue.record("loaded")
        } catch {
            #expect(Set(error.problems.map(\.key)) == ["directory.where", "mailboxes.where"], "\(error)")
        }
    }
}
