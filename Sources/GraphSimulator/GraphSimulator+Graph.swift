import Foundation

/// Graph v1.0's front door: authentication, injected faults, the global and per-mailbox
/// throttles, and routing to the directory and mailbox handlers.
extension GraphSimulator {
    /// The authenticated caller of a Graph request.
    struct Caller: Sendable {
        var clientId: String
        var roles: Set<String>
    }

    /// A routed Graph operation: a counter name and, for mailbox operations, the mailbox owner.
    struct Route: Sendable {
        var name: String
        var mailboxOwner: String?
        var rest: [String]
    }

    func graph(_ request: SimRequest) async -> SimResponse {
        let caller: Caller
        switch authenticate(request) {
        case .failure(let response):
            counters.record(route: "unauthenticated", status: response.status, inBatch: false)
            return response
        case .success(let c): caller = c
        }
        if let fault = injectFault(request) {
            counters.record(route: "fault", status: fault.status, inBatch: false)
            return fault
        }
        let path = Array(request.segments.dropFirst())
        if path == ["$batch"] {
            guard request.method == "POST" else { return .graphError(405, "BadRequest", "Use POST for $batch.", request: request) }
            let response: SimResponse
            if let canned = takeCannedResponse("POST /$batch") {
                response = canned
            } else {
                batchesInFlight += 1
                counters.highestBatchesInFlight = max(counters.highestBatchesInFlight, batchesInFlight)
                response = await batch(request, caller: caller)
                batchesInFlight -= 1
            }
            counters.record(route: "POST /$batch", status: response.status, inBatch: false)
            return faultAfterProcessing(request, response, inBatch: false, mayDrop: true)
        }
        return faultAfterProcessing(request, await execute(request, caller: caller, inBatch: false), inBatch: false, mayDrop: true)
    }

    /// A fault that strikes after the request was carried out: its effects stay, its answer is
    /// lost (a dropped connection) or replaced by a 504, as a gateway that timed out would.
    /// Only answers that were not errors already are replaced.
    func faultAfterProcessing(_ request: SimRequest, _ response: SimResponse, inBatch: Bool, mayDrop: Bool) -> SimResponse {
        guard settings.rate504Processed > 0 || settings.rateDropProcessed > 0, response.status < 400 else { return response }
        let roll = Double.random(in: 0..<1, using: &faultRandom)
        if mayDrop, roll < settings.rateDropProcessed {
            counters.faults["drop-processed", default: 0] += 1
            var r = SimResponse(status: 0)
            r.dropConnection = true
            return r
        }
        if roll < settings.rateDropProcessed + settings.rate504Processed {
            counters.faults["504-processed", default: 0] += 1
            counters.record(route: "fault", status: 504, inBatch: inBatch)
            return .graphError(504, "gatewayTimeout", "The gateway did not receive a timely response.", request: request)
        }
        return response
    }

    /// Runs one Graph operation (top-level or a batch item) through throttling and its handler.
    func execute(_ request: SimRequest, caller: Caller, inBatch: Bool) async -> SimResponse {
        let path = Array(request.segments.dropFirst())
        let route = classify(path, method: request.method)
        var response: SimResponse
        if let canned = takeCannedResponse(route.name) {
            response = canned
        } else if let owner = route.mailboxOwner {
            counters.mailboxRequests[owner, default: 0] += 1
            response = await throttled(request, caller: caller, mailbox: owner) { [self] in
                await mailboxOperation(request, caller: caller, route: route)
            }
        } else {
            response = await throttled(request, caller: caller, mailbox: nil) { [self] in
                directoryOperation(request, caller: caller, path: path)
            }
        }
        counters.record(route: route.name, status: response.status, inBatch: inBatch)
        if response.status == 429 { response.headers["Retry-After"] = response.headers["Retry-After"] ?? "1" }
        return response
    }

    /// The next canned answer queued for `route`, if any (taken off the queue).
    func takeCannedResponse(_ route: String) -> SimResponse? {
        guard var queued = cannedResponses[route], !queued.isEmpty else { return nil }
        let response = queued.removeFirst()
        cannedResponses[route] = queued
        return response
    }

    func throttled(_ request: SimRequest, caller: Caller, mailbox: String?, _ body: () async -> SimResponse) async -> SimResponse {
        let t = now()
        switch throttle.admitGlobal(app: caller.clientId, now: t, settings: settings) {
        case .rate(let wait, _):
            return .graphError(429, "TooManyRequests", "Please retry again later.", request: request, headers: ["Retry-After": Self.seconds(wait)])
        default: break
        }
        if let mailbox {
            switch throttle.admitMailbox(app: caller.clientId, mailbox: mailbox, now: t, settings: settings) {
            case .concurrency(let wait):
                return .graphError(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", request: request, headers: ["Retry-After": Self.seconds(wait)])
            case .rate(let wait, _):
                return .graphError(429, "ApplicationThrottled", "Application is over its MailboxRequestRate limit (\(settings.mailboxRequests) requests per \(Int(settings.mailboxWindowSeconds)) s).", request: request, headers: ["Retry-After": Self.seconds(wait)])
            case .admitted: break
            }
        }
        await addLatency(item: mailbox != nil)
        let response = await body()
        if let mailbox { throttle.release(app: caller.clientId, mailbox: mailbox) }
        return response
    }

    static func seconds(_ s: Double) -> String { String(Int(s.rounded(.up).clamped(1, 86_400))) }

    /// `item`: an Outlook item (mailbox routes), which also takes `itemLatencyMs`.
    func addLatency(item: Bool) async {
        let fixed = settings.latencyMs + (item ? settings.itemLatencyMs : 0)
        guard fixed > 0 || settings.jitterMs > 0 else { return }
        let jitter = settings.jitterMs > 0 ? Double.random(in: 0...settings.jitterMs, using: &faultRandom) : 0
        try? await Task.sleep(for: .microseconds(Int((fixed + jitter) * 1000)))
    }

    func injectFault(_ request: SimRequest) -> SimResponse? {
        let roll = Double.random(in: 0..<1, using: &faultRandom)
        var edge = settings.rateDrop
        if roll < edge {
            counters.faults["drop", default: 0] += 1
            var r = SimResponse(status: 0)
            r.dropConnection = true
            return r
        }
        edge += settings.rate503
        if roll < edge {
            counters.faults["503", default: 0] += 1
            return .graphError(503, "serviceNotAvailable", "The service is temporarily unavailable. Please retry later.", request: request,
                               headers: ["Retry-After": Self.seconds(settings.retryAfter503)])
        }
        edge += settings.rate504
        if roll < edge {
            counters.faults["504", default: 0] += 1
            return .graphError(504, "gatewayTimeout", "The gateway did not receive a timely response.", request: request)
        }
        return nil
    }

    func authenticate(_ request: SimRequest) -> Result<Caller, SimResponse> {
        let header = request.headers["authorization"] ?? ""
        // Only the scheme is case-insensitive; the token is compared as is (and lower-casing a
        // 1.5 KB token per batch item was a measurable share of the simulator's time).
        guard header.utf8.count > 7, header.prefix(7).lowercased() == "bearer " else {
            return .failure(.graphError(401, "InvalidAuthenticationToken", "Access token is empty.", request: request,
                                        headers: ["WWW-Authenticate": "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\""]))
        }
        var token = Substring(header.dropFirst(7))
        while token.first == " " { token = token.dropFirst() }
        while token.last == " " { token = token.dropLast() }
        guard let issued = tokens[String(token)] else {
            return .failure(.graphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience or signature.", request: request))
        }
        guard issued.expires > now() else {
            return .failure(.graphError(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", request: request))
        }
        return .success(Caller(clientId: issued.clientId, roles: Set(issued.roles)))
    }

    /// Names the operation for counters and finds the mailbox it targets, if any.
    func classify(_ path: [String], method: String) -> Route {
        let path = Self.splitKeySegments(path)
        let lower = path.map { $0.lowercased() }
        var template: [String] = []
        for (i, seg) in lower.enumerated() {
            let isId = (lower.first == "users" || lower.first == "groups") && (i == 1 || (i >= 3 && ["contactfolders", "contacts"].contains(lower[i - 1])))
            template.append(isId && !(seg == "delta" || (i >= 3 && Self.isDeltaSegment(seg))) ? "{id}" : path[i])
        }
        var owner: String?
        if lower.count >= 3, lower[0] == "users", ["contactfolders", "contacts", "mailboxsettings", "photo", "photos"].contains(lower[2]) {
            owner = lookupUser(path[1])?.id ?? path[1].lowercased()
        }
        return Route(name: "\(method) /\(template.joined(separator: "/"))", mailboxOwner: owner, rest: path)
    }
}

extension Double {
    func clamped(_ lo: Double, _ hi: Double) -> Double { Swift.min(Swift.max(self, lo), hi) }
}
