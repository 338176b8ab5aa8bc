import Foundation
import GraphClient

/// Why a mailbox answered 403 `ErrorAccessDenied`, told from the roles in the token galsync
/// holds. Graph's own text ("Access is denied. Check credentials and try again.") names
/// neither of the two usual causes:
/// - the token has no `Contacts.ReadWrite` application role (not granted, or no admin consent);
/// - it has the role, and Exchange Online leaves this mailbox out: an application access policy
///   or an RBAC for Applications management scope.
///
/// The roles are read from the token without verifying it: it is galsync's own, just issued by
/// Entra ID, and only explains a refusal here; it decides nothing.
public struct AccessDeniedDiagnosis: Sendable {
    /// Graph's error code for a mailbox Exchange refuses.
    public static let code = "ErrorAccessDenied"
    /// The application role that lets an app-only token read and write every mailbox's contacts.
    public static let role = "Contacts.ReadWrite"

    /// The token's application roles; nil when no token could be had to read them from.
    public let roles: Set<String>?
    /// The application (client) id, for the PowerShell checks.
    public let appId: String

    public init(roles: [String]?, appId: String) {
        self.roles = roles.map(Set.init)
        self.appId = appId
    }

    /// The diagnosis from the token `tokens` holds now (the one Graph just refused, unless it
    /// was renewed since; renewing it is one token request).
    public static func current(_ tokens: TokenProvider) async -> AccessDeniedDiagnosis {
        AccessDeniedDiagnosis(roles: try? await tokens.token().roles, appId: await tokens.settings.clientId)
    }

    /// What to tell the operator about `mailbox`: the cause, and how to fix or check it.
    public func cause(mailbox: String) -> String {
        let checkScope = "Test-ServicePrincipalAuthorization -Identity \(appId) -Resource \(mailbox) (RBAC for Applications) or Test-ApplicationAccessPolicy -Identity \(mailbox) -AppId \(appId) (application access policy), in Exchange Online PowerShell"
        guard let roles else {
            return "either the app has no \(Self.role) application role (grant it with admin consent in Entra ID), or an Exchange application access policy or RBAC for Applications management scope excludes this mailbox: check with \(checkScope)"
        }
        if !roles.contains(Self.role) {
            return "the app's token has no \(Self.role) application role: grant it in Entra ID (App registrations → \(appId) → API permissions → Add a permission → Microsoft Graph → Application permissions → \(Self.role)) and grant admin consent; a running service gets the new role with its next token (within an hour). If the app is meant to reach mailboxes through Exchange RBAC for Applications instead, this mailbox is outside its management scope: check with Test-ServicePrincipalAuthorization -Identity \(appId) -Resource \(mailbox)"
        }
        return "the token has the \(Self.role) role, so Exchange itself leaves this mailbox out: an application access policy or RBAC for Applications management scope excludes it. Check with \(checkScope); then add the mailbox to the policy's group or the scope (it takes up to 2 hours to reach Graph), or leave it out of [mailboxes]"
    }

    /// A mailbox's failure as `status`, the problems and the log say it: Graph's code and
    /// message, followed for `ErrorAccessDenied` by the cause from the token `tokens` holds.
    /// For every place that records a mailbox's failure (planning, folders, and item-level
    /// 403s in a batch answer: pass the item's code and message).
    public static func reason(code: String, message: String, mailbox: String, tokens: TokenProvider) async -> String {
        guard code == Self.code else { return "\(code): \(message)" }
        return "\(code): \(message) — \(await current(tokens).cause(mailbox: mailbox))"
    }

    /// `reason(code:message:mailbox:tokens:)` for any error: a `GraphError`'s code and message,
    /// or the error's description.
    public static func reason(for error: any Error, mailbox: String, tokens: TokenProvider) async -> String {
        guard let g = error as? GraphError else { return "\(error)" }
        return await reason(code: g.code, message: g.message, mailbox: mailbox, tokens: tokens)
    }
}
