import Foundation
@testable import GalsyncConfig
import Testing

/// `[[list]]`: what a list takes from the top-level tables, where it keeps its state, and each
/// mistake as one problem naming the list's key.
@Suite struct ListConfigTests {
    static let head = ConfigurationLoaderTests.minimal + """

        [directory]
        include_guests = true

        [sync]
        folder = "Company Directory"
        state = "/var/lib/galsync/state.db"

        """

    func problems(_ lists: String) -> [String] {
        do {
            _ = try ConfigurationLoader.parse(Self.head + lists, environment: [:])
            return []
        } catch {
            return error.problems.map { "\($0.key): \($0.message)" }
        }
    }

    @Test func aListTakesTheTopLevelTablesItLeavesOutAndItsOwnInFull() throws {
        let c = try ConfigurationLoader.parse(Self.head + """
            [[list]]
            name = "directory"
            folder = "Company Directory"

            [[list]]
            name = "vendors"
            folder = "Vendors"
            source = "mailbox"
            source_mailbox = "contacts@contoso.com"
            source_folder = "Vendors"
            [list.mailboxes]
            groups = ["0b6a3b2c-1d2e-4f5a-8b9c-0d1e2f3a4b5c"]
            where = "department eq 'Sales'"
            """, environment: [:])
        #expect(c.lists.map(\.name) == ["directory", "vendors"])
        #expect(c.lists[0].directory.includeGuests && c.lists[0].mailboxes.all, "left out: the top-level tables")
        #expect(c.lists[1].source == .mailbox(mailbox: "contacts@contoso.com", folder: "Vendors"))
        #expect(!c.lists[1].mailboxes.all && c.lists[1].mailboxes.groups.count == 1 && c.lists[1].mailboxes.where != nil, "given: in full")
        #expect(c.homeList?.name == "directory" && c.statePath(of: c.lists[0]) == "/var/lib/galsync/state.db")
        #expect(c.statePath(of: c.lists[1]) == "/var/lib/galsync/lists/vendors.db")
        #expect(c.keeping(c.lists[1]).sync.folder == "Vendors" && c.keeping(c.lists[1]).lists.isEmpty)
    }

    @Test func withoutListsTheTopLevelIsTheOneListOnItsOwnState() throws {
        let c = try ConfigurationLoader.parse(Self.head, environment: [:])
        #expect(c.lists.isEmpty && c.effectiveLists.map(\.name) == [""] && c.homeList?.folder == "Company Directory")
        #expect(c.statePath(of: c.implicitList) == c.sync.state && c.keeping(c.implicitList) == c)
    }

    @Test func aListThatIsNotATableIsAProblem() {
        do {
            _ = try ConfigurationLoader.parse("list = \"vendors\"\n" + Self.head, environment: [:])
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.key == "list" && $0.message.hasPrefix("should be [[list]] tables") }, "\(error.problems)")
        }
    }

    @Test(arguments: [
        ("[[list]]\nfolder = \"A\"", "list[1].name: missing"),
        ("[[list]]\nname = \"Vendors\"\nfolder = \"A\"", "list[1].name: 'Vendors' is not a list name"),
        ("[[list]]\nname = \"a\"\nfolder = \"A\"\n[[list]]\nname = \"a\"\nfolder = \"B\"", "list.a.name: 'a' names two lists"),
        ("[[list]]\nname = \"a\"\nfolder = \"X\"\n[[list]]\nname = \"b\"\nfolder = \"x\"", "list.b.folder: 'x' is also list 'a''s folder"),
        ("[[list]]\nname = \"a\"", "list.a.folder: missing"),
        ("[[list]]\nname = \"a\"\nfolder = \"A\"\nsource = \"mailbox\"", "list.a.source_mailbox: missing"),
        ("[[list]]\nname = \"a\"\nfolder = \"A\"\nsource = \"folder\"", "list.a.source: 'folder' is not a source"),
        ("[[list]]\nname = \"a\"\nfolder = \"A\"\nsource_folder = \"V\"", "list.a.source_folder: only for source = \"mailbox\""),
        ("[[list]]\nname = \"a\"\nfolder = \"A\"\nfoldr = \"A\"", "list.a.foldr: unknown key (did you mean 'folder'?)"),
        ("[[list]]\nname = \"a\"\nfolder = \"A\"\n[list.mailboxes]\nal = true", "list.a.mailboxes.al: unknown key (did you mean 'all'?)"),
        ("[[list]]\nname = \"a\"\nfolder = \"A\"\n[list.mailboxes]\ninclude_self = true", "list.a.mailboxes: no target mailboxes"),
        ("[[list]]\nname = \"a\"\nfolder = \"A\"\n[list.directory]\nwhere = \"departmen eq 'x'\"", "list.a.directory.where: column 1"),
        ("[[list]]\nname = \"a\"\nfolder = \"A\"\nsource = \"mailbox\"\nsource_mailbox = \"m@contoso.com\"\n[list.directory]\ninclude_guests = true",
         "list.a.directory: a list copied from a mailbox takes no [list.directory]"),
        ("[[list]]\nname = \"a\"\nfolder = \"A\"\nsource = \"mailbox\"\nsource_mailbox = \"m@contoso.com\"\n[list.mailboxes]\nusers = [\"M@contoso.com\"]",
         "list.a.mailboxes: 'm@contoso.com' is this list's source"),
    ])
    func eachMistakeIsOneProblemNamingTheListsKey(text: String, expected: String) {
        let found = problems(text)
        #expect(found.contains { $0.hasPrefix(expected) }, "\(found)")
    }
}
