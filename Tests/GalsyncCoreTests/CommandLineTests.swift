import Foundation
@testable import GalsyncConfig
import GalsyncCore
import Testing

/// The command line as an operator meets it, through the real `galsync` binary: no command,
/// a mistyped one, `--version`, shell completions, `config show`, `cert show` without a file,
/// and `check --json` on success and failure.
@Suite struct CommandLineTests {
    static var binary: String { CrashRecoveryTests.binary }

    static func galsync(_ arguments: String...) async throws -> CapturedRun {
        try await CapturedRun.run(binary, arguments)
    }

    static func object(_ text: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    /// A configuration file for `install`'s certificate and key, with `extra` appended.
    static func configFile(_ install: SimulatedInstall, url: String = "http://127.0.0.1:9", extra: String = "") throws -> String {
        var config = install.config(url)
        config.sync.state = install.dir.appendingPathComponent("state.db").path
        let path = install.dir.appendingPathComponent("galsync.toml").path
        try (CrashRecoveryTests.toml(config) + "\n" + extra).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func noCommandPrintsTheHelpAndExits64() async throws {
        let run = try await Self.galsync()
        #expect(run.status == 64)
        #expect(run.stderr.contains("USAGE: galsync <subcommand>") && run.stderr.contains("SUBCOMMANDS:"), "\(run.stderr)")
        let group = try await Self.galsync("cert")
        #expect(group.status == 64)
        #expect(group.stderr.contains("USAGE: galsync cert <subcommand>"), "\(group.stderr)")
    }

    @Test(arguments: [(["sycn"], "did you mean 'sync'?"), (["stauts"], "did you mean 'status'?"), (["cert", "shwo"], "did you mean 'show'?"),
                      (["xyzzy"], "Commands: run, sync")])
    func aMistypedCommandIsNamedWithTheNearestOne(arguments: [String], says: String) async throws {
        let run = try await CapturedRun.run(Self.binary, arguments)
        #expect(run.status == 64)
        #expect(run.stderr.contains("'\(arguments.last!)' is not a") && run.stderr.contains(says), "\(run.stderr)")
        if arguments == ["xyzzy"] { #expect(!run.stderr.contains("did you mean"), "no command is near 'xyzzy': \(run.stderr)") }
    }

    @Test func versionNamesTheCommitAndBuildDate() async throws {
        let run = try await Self.galsync("--version")
        #expect(run.status == 0)
        let line = run.stdout.trimmingCharacters(in: .newlines)
        // A plain `swift build` says "unknown"; scripts/package-deb stamps both (check-package checks).
        let pattern = #"^galsync [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{7,}|unknown), built ([0-9]{4}-[0-9]{2}-[0-9]{2}|unknown)\)$"#
        #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")
    }

    @Test(arguments: [("bash", "-F _galsync galsync"), ("zsh", "#compdef galsync"), ("fish", "complete -c 'galsync'")])
    func completionsComeFromTheParser(shell: String, marker: String) async throws {
        let run = try await Self.galsync("--generate-completion-script", shell)
        #expect(run.status == 0)
        #expect(run.stdout.contains(marker), "\(run.stdout.prefix(200))")
        for command in ["sync", "status", "check", "config", "cert"] { #expect(run.stdout.contains(command), "\(shell) lacks \(command)") }
    }

    /// `config show` with lists: each `[[list]]` with its tables, read back as the same
    /// configuration; `--json` holds them as an array under "list".
    @Test func configShowPrintsEachListAndReadsBackTheSame() async throws {
        let install = try await SimulatedInstall(register: false)
        defer { try? FileManager.default.removeItem(at: install.dir) }
        let path = try Self.configFile(install, extra: """
            [[list]]
            name = "directory"
            folder = "Company Directory"
            [list.directory]
            where = "department ne 'Legal'"

            [[list]]
            name = "vendors"
            folder = "Vendors"
            source = "mailbox"
            source_mailbox = "contacts@contoso.com"
            source_folder = "Vendors"
            """)
        let run = try await Self.galsync("config", "show", "--config", path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.components(separatedBy: "[[list]]").count == 3 && run.stdout.components(separatedBy: "[list.directory]").count == 2, "\(run.stdout)")
        #expect(try ConfigurationLoader.parse(run.stdout) == ConfigurationLoader.load(path: path))
        let json = try await Self.galsync("config", "show", "--config", path, "--json")
        let lists = try #require(Self.object(json.stdout)?["list"] as? [[String: Any]])
        #expect(lists.map { $0["name"] as? String } == ["directory", "vendors"] && lists[1]["directory"] == nil && lists[1]["mailboxes"] != nil)
    }

    @Test func configShowPrintsEveryKeyWithDefaultsAndNoSecrets() async throws {
        let install = try await SimulatedInstall(register: false)
        defer { try? FileManager.default.removeItem(at: install.dir) }
        let passphrase = install.dir.appendingPathComponent("passphrase").path
        try "correct-horse-battery-staple\n".write(toFile: passphrase, atomically: true, encoding: .utf8)
        let path = try Self.configFile(install)
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "[sync]", with: "passphrase_file = \"\(passphrase)\"\n\n[sync]")
        try text.write(toFile: path, atomically: true, encoding: .utf8)

        let run = try await Self.galsync("config", "show", "--config", path)
        #expect(run.status == 0, "\(run.stderr)")
        for line in ["interval = \"15m\"", "full_reconcile = \"24h\"", "max_deletes_percent = 20", "require = [\"mail\"]", "cloud = \"global\""] {
            #expect(run.stdout.contains(line), "no default \(line) in\n\(run.stdout)")
        }
        #expect(run.stdout.contains("# metrics_file is not set"))
        // The output is a configuration galsync reads back as the same one.
        #expect(try ConfigurationLoader.parse(run.stdout) == ConfigurationLoader.load(path: path))
        // Paths, never what the files hold.
        let key = try String(contentsOfFile: install.dir.appendingPathComponent("galsync.key").path, encoding: .utf8)
        #expect(run.stdout.contains(passphrase))
        #expect(!run.stdout.contains("correct-horse") && !run.stdout.contains("PRIVATE KEY") && !run.stdout.contains(String(key.dropFirst(40).prefix(40))))

        // --json: every key galsync reads, under its section.
        let json = try await Self.galsync("config", "show", "--config", path, "--json")
        let object = try #require(Self.object(json.stdout), "\(json.stdout)")
        #expect(object["file"] as? String == path)
        for (section, keys) in ConfigReader.sections {
            let table = object[section] as? [String: Any]
            for key in keys { #expect(table?.keys.contains(key) == true, "config show --json lacks \(section).\(key)") }
        }
        #expect((object["sync"] as? [String: Any])?["metrics_file"] is NSNull)
    }

    @Test func aBadConfigurationExits78WithTheProblemsAndTheErrorObject() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("galsync.toml").path
        try "[tenant]\nid = \"contoso.onmicrosoft.com\"\n[sync]\nintervall = \"5m\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let text = try await Self.galsync("config", "show", "--config", path)
        #expect(text.status == 78)
        #expect(text.stderr.contains("sync.intervall: unknown key (did you mean 'interval'?)") && text.stdout.isEmpty, "\(text.stderr)")
        for command in [["config", "show"], ["cert", "show"], ["check"]] {
            let run = try await CapturedRun.run(Self.binary, command + ["--config", path, "--json"])
            #expect(run.status == 78, "\(command)")
            let error = Self.object(run.stdout)?["error"] as? [String: Any]
            #expect(error?["code"] as? Int == 78, "\(command): \(run.stdout)")
            #expect((error?["message"] as? String)?.contains("sync.intervall") == true, "\(command): \(run.stdout)")
            #expect(error?["fix"] is String, "\(command)")
        }
    }

    @Test func certShowWithoutAFileShowsTheConfiguredCertificate() async throws {
        let install = try await SimulatedInstall(register: false)
        defer { try? FileManager.default.removeItem(at: install.dir) }
        let path = try Self.configFile(install)
        let certificate = install.dir.appendingPathComponent("galsync.crt").path
        let text = try await Self.galsync("cert", "show", "--config", path)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("file:     \(certificate)") && text.stdout.contains("subject:  CN=galsync"), "\(text.stdout)")
        let json = try await Self.galsync("cert", "show", "--config", path, "--json")
        let object = try #require(Self.object(json.stdout), "\(json.stdout)")
        #expect(object["file"] as? String == certificate)
        #expect(object["days_left"] as? Int == 365)
        #expect(object["expired"] as? Bool == false)
        #expect((object["sha1"] as? String)?.count == 40)
        // A file that is not there: the error object, 78.
        let missing = try await Self.galsync("cert", "show", install.dir.appendingPathComponent("nope.crt").path, "--json")
        #expect(missing.status == 78)
        #expect(((Self.object(missing.stdout)?["error"] as? [String: Any])?["message"] as? String)?.contains("nope.crt: no such file") == true, "\(missing.stdout)")
    }

    @Test func checkJSONHasEveryStepOnSuccessAndOnFailure() async throws {
        let install = try await SimulatedInstall()
        try await install.run { url in
            let path = try Self.configFile(install, url: url)
            let run = try await Self.galsync("check", "--config", path, "--json")
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let object = try #require(Self.object(run.stdout), "\(run.stdout)")
            #expect(object["ok"] as? Bool == true && object["error"] == nil)
            let steps = object["steps"] as? [[String: Any]] ?? []
            #expect(steps.compactMap { $0["name"] as? String } == ["config", "contact fields", "key and certificate", "certificate validity", "token", "permissions", "mailbox types", "directory read", "hidden users", "mailbox"])
            #expect(steps.allSatisfy { $0["ok"] as? Bool == true && $0["message"] is String && $0.keys.contains("fix") })

            // The key of another certificate: the steps up to the failed one, and the error.
            var other = CertificateTool.NewOptions(directory: install.dir.appendingPathComponent("other").path)
            other.days = 30
            _ = try CertificateTool.makeNew(other)
            let mismatched = try String(contentsOfFile: path, encoding: .utf8)
                .replacingOccurrences(of: install.dir.appendingPathComponent("galsync.key").path, with: "\(other.directory)/galsync.key")
            try mismatched.write(toFile: path, atomically: true, encoding: .utf8)
            let failed = try await Self.galsync("check", "--config", path, "--json")
            #expect(failed.status == 78)
            let report = try #require(Self.object(failed.stdout), "\(failed.stdout)")
            #expect(report["ok"] as? Bool == false && report["exit_code"] as? Int == 78)
            let failedSteps = report["steps"] as? [[String: Any]] ?? []
            #expect(failedSteps.map { $0["ok"] as? Bool } == [true, true, false], "\(failedSteps)")
            let error = report["error"] as? [String: Any]
            #expect(error?["code"] as? Int == 78 && (error?["message"] as? String)?.hasPrefix("key and certificate: ") == true, "\(String(describing: error))")
        }
    }
}
