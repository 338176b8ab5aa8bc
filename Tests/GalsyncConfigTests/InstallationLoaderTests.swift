import Foundation
@testable import GalsyncConfig
import Testing

/// `include = [...]` and a file per tenant; `[store]`.
@Suite struct InstallationLoaderTests {
    /// A folder with `main.toml` (`main`) and `tenants.d/<file>` for each of `tenants`.
    static func install(main: String, tenants: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-install-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/tenants.d", withIntermediateDirectories: true)
        for (file, text) in tenants { try text.write(toFile: dir + "/tenants.d/" + file, atomically: true, encoding: .utf8) }
        try main.write(toFile: dir + "/main.toml", atomically: true, encoding: .utf8)
        return dir + "/main.toml"
    }

    static let include = "include = [\"tenants.d/*.toml\"]\n"

    @Test func eachTenantFileIsATenantWithItsOwnStateAndAShareOfItsAppsCeiling() throws {
        let main = try Self.install(main: Self.include, tenants: [
            "a.toml": "name = \"contoso\"\n" + ConfigurationLoaderTests.minimal,
            "b.toml": "name = \"fabrikam\"\n" + ConfigurationLoaderTests.minimal,
            "c.toml": "name = \"tailspin\"\n" + ConfigurationLoaderTests.minimal.replacingOccurrences(of: "11111111-2222-3333-4444-555555555555", with: "99999999-2222-3333-4444-555555555555"),
        ])
        let install = try InstallationLoader.load(path: main, environment: ["STATE_DIRECTORY": "/var/lib/galsync"])
        #expect(install.isMultiTenant)
        #expect(install.tenants.map(\.name) == ["contoso", "fabrikam", "tailspin"])
        let configs = install.configurations
        #expect(configs.map(\.sync.state) == ["/var/lib/galsync/contoso/state.db", "/var/lib/galsync/fabrikam/state.db", "/var/lib/galsync/tailspin/state.db"])
        // Two tenants on one app registration share its global ceiling; the third has its own app.
        #expect(configs.map(\.sync.appShare) == [0.5, 0.5, 1])
        #expect(try install.tenant(named: "fabrikam").name == "fabrikam")
        #expect(throws: ConfigurationError.self) { try install.tenant(named: nil) }
        #expect(throws: ConfigurationError.self) { try install.tenant(named: "northwind") }
        // A plain file asked for with include is an error that says what to do.
        do {
            _ = try ConfigurationLoader.load(path: main)
            Issue.record("loaded a many-tenant install as one tenant")
        } catch {
            #expect("\(error)".contains("add --tenant NAME"))
        }
    }

    @Test func aBrokenTenantFileIsThatTenantsErrorNotTheInstalls() throws {
        let main = try Self.install(main: Self.include, tenants: [
            "a.toml": "name = \"contoso\"\n" + ConfigurationLoaderTests.minimal,
            "b.toml": "name = \"fabrikam\"\n" + ConfigurationLoaderTests.minimal + "\n[sync]\ninterval = \"1s\"\n",
            "c.toml": ConfigurationLoaderTests.minimal,  // no name
            "d.toml": "name = \"contoso\"\n" + ConfigurationLoaderTests.minimal.replacingOccurrences(of: "[mailboxes]", with: "[sync]\nstate = \"/tmp/d.db\"\n[mailboxes]"),
            "e.toml": "name = \"Bad Name\"\n" + ConfigurationLoaderTests.minimal,
            "f.toml": "name = \"withstore\"\n[store]\nurl = \"\"\n" + ConfigurationLoaderTests.minimal,
            "g.toml": "name = \"one\"\n" + ConfigurationLoaderTests.minimal.replacingOccurrences(of: "[mailboxes]", with: "[sync]\nstate = \"/tmp/shared/one.db\"\n[mailboxes]"),
            "h.toml": "name = \"two\"\n" + ConfigurationLoaderTests.minimal.replacingOccurrences(of: "[mailboxes]", with: "[sync]\nstate = \"/tmp/shared/two.db\"\n[mailboxes]"),
        ])
        let install = try InstallationLoader.load(path: main)
        func problem(_ file: String) -> String? {
            guard let t = install.tenants.first(where: { $0.file.hasSuffix(file) }), case .failure(let e) = t.config else { return nil }
            return e.problems.map { "\($0.key): \($0.message)" }.joined(separator: "; ")
        }
        #expect(problem("a.toml")?.contains("'contoso' is also the name in") == true)
        #expect(problem("d.toml")?.contains("'contoso' is also the name in") == true)
        #expect(problem("b.toml")?.hasPrefix("sync.interval") == true, "\(problem("b.toml") ?? "loaded")")
        #expect(problem("c.toml")?.contains("name: missing") == true)
        #expect(problem("e.toml")?.contains("is not a tenant name") == true)
        #expect(problem("f.toml")?.contains("[store] belongs in the main file") == true)
        // Two states in one folder would share lists/: the second is refused.
        #expect(problem("g.toml") == nil)
        #expect(problem("h.toml")?.contains("is tenant one's state folder too") == true, "\(problem("h.toml") ?? "loaded")")
        #expect(install.configurations.map(\.name) == ["one"])
    }

    @Test func theMainFileHoldsOnlyIncludeAndStoreAndAPatternMustMatch() throws {
        for (text, fragment) in [
            (Self.include + ConfigurationLoaderTests.minimal, "holds only include and [store]"),
            ("include = [\"nowhere/*.toml\"]\n", "matches no file"),
            ("include = \"tenants.d/*.toml\"\n", "should be a list of file patterns"),
            (Self.include + "[store]\nurl = \"postgresql://galsync:secret@db/galsync\"\n", "holds a password"),
            (Self.include + "[store]\nurl = \"mysql://db/galsync\"\n", "is not a postgresql:// URL"),
            (Self.include + "[store]\nurl = \"postgresql://db\"\n", "names no database"),
            (Self.include + "[store]\nlease = \"5s\"\n", "from \"10s\" to \"1h\""),
            (Self.include + "[store]\nurl = \"postgresql://db/galsync?sslmode=allow\"\n", "sslmode must be one of"),
            (Self.include + "[store]\nurl = \"postgresql://db/galsync?password=x\"\n", "not a parameter galsync knows"),
            (Self.include + "[store]\nleese = \"60s\"\n", "did you mean 'lease'"),
        ] {
            let main = try Self.install(main: text, tenants: ["a.toml": "name = \"contoso\"\n" + ConfigurationLoaderTests.minimal])
            do {
                _ = try InstallationLoader.load(path: main)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.problems.contains { $0.message.contains(fragment) }, "\(error)")
            }
        }
    }

    @Test func aPlainFileMayNameItselfAndUsePostgreSQL() throws {
        let dir = try Self.install(main: "name = \"contoso\"\n[store]\nurl = \"postgresql://galsync@db.example:5433/galsync?sslmode=require&sslrootcert=/etc/galsync/db-ca.pem\"\nlease = \"90s\"\n" + ConfigurationLoaderTests.minimal, tenants: [:])
        let install = try InstallationLoader.load(path: dir)
        #expect(!install.isMultiTenant)
        #expect(install.store.url == PostgresURL(user: "galsync", host: "db.example", port: 5433, database: "galsync", sslMode: .require, sslRootCert: "/etc/galsync/db-ca.pem"))
        #expect(install.store.lease == 90)
        #expect(try install.tenant(named: nil).name == "contoso")
    }

    @Test func thePasswordComesFromTheCredentialThenTheFileNeverTheText() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-pw-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "from-file\n".write(toFile: dir + "/pw", atomically: true, encoding: .utf8)
        try "from-credential\n".write(toFile: dir + "/galsync.dbpassword", atomically: true, encoding: .utf8)
        var store = StoreSettings()
        #expect(try store.password(environment: [:]) == nil)
        store.passwordFile = dir + "/pw"
        #expect(try store.password(environment: [:]) == "from-file")
        #expect(try store.password(environment: ["CREDENTIALS_DIRECTORY": dir]) == "from-credential")
        store.passwordFile = dir + "/missing"
        #expect(throws: ConfigurationError.self) { try store.password(environment: [:]) }
    }
}
