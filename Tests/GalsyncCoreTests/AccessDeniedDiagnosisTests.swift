import Foundation
@testable import GalsyncCore
@testable import GalsyncWriter
import GraphSimulator
import SyncStore
import Testing

/// A mailbox's 403 `ErrorAccessDenied` names its cause: the token's missing Contacts.ReadWrite
/// role, or an Exchange access policy / management scope that leaves the mailbox out.
@Suite struct AccessDeniedDiagnosisTests {
    static let directoryRoles = ["User.Read.All", "GroupMember.Read.All"]
    static let noRole = "the app's token has no Contacts.ReadWrite application role"
    static let consent = "API permissions → Add a permission → Microsoft Graph → Application permissions → Contacts.ReadWrite) and grant admin consent"
    static let scoped = "Exchange itself leaves this mailbox out: an application access policy or RBAC for Applications management scope excludes it"

    @Test func theCauseFollowsTheTokensRoles() {
        let app = "11111111-2222-3333-4444-555555555555"
        let missing = AccessDeniedDiagnosis(roles: Self.directoryRoles + ["Contacts.Read"], appId: app).cause(mailbox: "bob@contoso.com")
        #expect(missing.hasPrefix(Self.noRole) && missing.contains(Self.consent))
        let present = AccessDeniedDiagnosis(roles: Self.directoryRoles + ["Contacts.ReadWrite"], appId: app).cause(mailbox: "bob@contoso.com")
        #expect(present.contains(Self.scoped) && !present.contains(Self.noRole))
        #expect(present.contains("Test-ServicePrincipalAuthorization -Identity \(app) -Resource bob@contoso.com"))
        let unknown = AccessDeniedDiagnosis(roles: nil, appId: app).cause(mailbox: "bob@contoso.com")
        #expect(unknown.contains("Contacts.ReadWrite") && unknown.contains("Test-ServicePrincipalAuthorization"), "no token: both causes")
    }

    /// Without the role every mailbox is refused while planning (its folder cannot be read).
    @Test func withoutTheRoleSyncSaysToGrantIt() async throws {
        try await SyncHarness.with(users: 10) { h in
            try await h.sim.setRoles(clientId: SimulatedInstall.clientId, Self.directoryRoles)
            let s = try await h.sync()
            let targets = await h.expectedTargets()
            // Users without a mailbox fail too: Exchange checks the role before the mailbox.
            #expect(s.mailboxesFailed >= targets.count && s.mailboxesOK == 0, "\(s.text)")
            for owner in targets {
                let problem = s.problems[owner] ?? ""
                #expect(problem.contains("ErrorAccessDenied: Access is denied. Check credentials and try again. — " + Self.noRole), "\(problem)")
                #expect(problem.contains(Self.consent) && !problem.contains(Self.scoped), "\(problem)")
            }
            let stored = try StateStore(path: h.statePath).mailboxes()[targets[0]]?.reason ?? ""
            #expect(stored.contains(Self.noRole), "status shows it too: \(stored)")
        }
    }

    /// With Contacts.Read alone the folders can be read but not made: the write step's refusal
    /// names the same cause.
    @Test func readOnlyContactsSayToGrantReadWrite() async throws {
        try await SyncHarness.with(users: 10) { h in
            try await h.sim.setRoles(clientId: SimulatedInstall.clientId, Self.directoryRoles + ["Contacts.Read"])
            let s = try await h.sync()
            let targets = await h.expectedTargets()
            #expect(s.mailboxesFailed == targets.count)
            for owner in targets {
                let problem = s.problems[owner] ?? ""
                #expect(problem.contains("ErrorAccessDenied") && problem.contains(Self.noRole) && problem.contains(Self.consent), "\(problem)")
            }
        }
    }

    @Test func aMailboxOutsideTheScopeSaysWhichPolicyToCheck() async throws {
        try await SyncHarness.with(users: 12) { h in
            let targets = await h.expectedTargets()
            let everyone = await h.sim.allUserIds
            try await h.sim.setMailboxScope(clientId: SimulatedInstall.clientId, everyone.filter { $0 != targets[0] })
            let s = try await h.sync()
            #expect(s.mailboxesFailed == 1 && s.mailboxesOK == targets.count - 1)
            let problem = s.problems[targets[0]] ?? ""
            #expect(problem.contains("ErrorAccessDenied") && problem.contains(Self.scoped), "\(problem)")
            #expect(problem.contains("Test-ServicePrincipalAuthorization -Identity \(SimulatedInstall.clientId) -Resource \(targets[0])"), "\(problem)")
            #expect(!problem.contains(Self.noRole), "\(problem)")
        }
    }
}
