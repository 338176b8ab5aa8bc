import Foundation

/// `GET /users/{id}/mailboxSettings` and `…/mailboxSettings/userPurpose`, as user-get-mailboxsettings
/// documents them: an Exchange call (per-mailbox throttling applies), application permission
/// MailboxSettings.Read or .ReadWrite, 404 `MailboxNotEnabledForRESTAPI` without a mailbox.
/// v1.0 types userPurpose as a string enum: the whole settings carry `"userPurpose": "shared"`,
/// the property alone `{"value": "shared"}`.
extension GraphSimulator {
    static let mailboxSettingsReadRoles: Set<String> = ["MailboxSettings.Read", "MailboxSettings.ReadWrite"]

    func mailboxSettings(_ request: SimRequest, caller: Caller, user: SimUser, rest: [String]) -> SimResponse {
        guard request.method == "GET" else { return methodNotAllowed(request) }
        guard !caller.roles.isDisjoint(with: Self.mailboxSettingsReadRoles) else {
            return .graphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.", request: request)
        }
        if let scope = apps[caller.clientId]?.mailboxScope, !scope.contains(user.id) {
            return .graphError(403, "ErrorAccessDenied", "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.", request: request)
        }
        guard user.hasMailbox, !user.deleted else {
            return .graphError(404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.", request: request)
        }
        counters.mailboxReads += 1
        let context = "\(request.baseURL)/v1.0/$metadata#users('\(user.id)')/mailboxSettings"
        switch rest.map({ $0.lowercased() }) {
        case []:
            return .json(200, ["@odata.context": .string(context), "timeZone": "UTC", "language": ["locale": "en-US", "displayName": "English (United States)"],
                               "dateFormat": "M/d/yyyy", "timeFormat": "h:mm tt", "userPurpose": .string(user.purpose),
                               "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly"])
        case ["userpurpose"]:
            return .json(200, ["@odata.context": .string(context + "/userPurpose"), "value": .string(user.purpose)])
        default:
            return .graphError(400, "RequestBroker--ParseUri", "Resource not found for the segment '\(rest.first ?? "")'.", request: request)
        }
    }
}
