import Foundation
import GalsyncJSON
import GalsyncPlan
import GalsyncText
import GraphClient
import GraphHTTP

/// Drift between full listings, found cheaply: each managed folder's contacts delta (Graph's
/// `…/contactFolders/{id}/contacts/delta`), asked for 20 mailboxes per `$batch`, says which
/// contacts changed or went since the folder's last deltaLink. An idle folder answers with an
/// empty page, so checking 1,000 mailboxes costs 50 requests; the first round of a folder (no
/// link yet) enumerates it once.
///
/// What comes back is compared with the state by the engine (`SyncEngine.checkDrift`): a
/// managed contact gone is made again, one whose fields differ from what galsync wrote is
/// written again, and a contact the state does not know (an owner's own in galsync's folder,
/// or a create whose answer was lost) makes the mailbox be listed. galsync's own writes come
/// back too, and match the state.
struct DriftCheck {
    /// One folder to ask: from its deltaLink, or from the start.
    struct Folder: Sendable {
        var owner: String
        /// `MailboxSync.contactsPath` of the folder.
        var contactsPath: String
        var link: String?
    }

    /// What one folder's round said.
    struct Finding: Sendable {
        var owner: String
        /// The round's new deltaLink; nil when the round did not end (then nothing else counts).
        var link: String?
        /// True for a first round (no link before): `changed` then holds every contact.
        var complete = false
        /// Contact id → the contact's managed fields as they are now.
        var changed: [String: JSONValue] = [:]
        /// Contacts deleted or moved out of the folder.
        var removed: Set<String> = []
        /// The link expired (Graph keeps Outlook sync state for a limited time): list the mailbox.
        var expired = false
        /// The folder is gone (404).
        var folderMissing = false
        /// Why the round did not end (throttled or failed too often): try at the next check.
        var failure: String?
    }

    let graph: GraphAPI
    /// `$batch` requests in flight at once.
    var width = 16
    /// Contacts per delta page (`Prefer: odata.maxpagesize`): about 600 bytes each, so a batch
    /// of 20 pages stays near 3 MB.
    static let pageSize = 250
    static let attempts = 5
    /// Pages one folder's round may take (a listing's cap is 10,000 pages of 1,000).
    static let maxPages = 40_000

    /// The contact properties a round reads: the list's fields.
    var fields: [String] = ContactProjection.managedFields

    /// The first round's URL of a folder: the list's fields only.
    func firstRound(_ contactsPath: String) -> String {
        "\(contactsPath)/delta?$select=\((fields + ["id"]).joined(separator: ","))"
    }

    func run(_ folders: [Folder]) async throws -> [String: Finding] {
        var findings: [String: Finding] = [:]
        var pages: [String: Int] = [:]
        /// (owner, batch URL, attempt) still to ask.
        var pending: [(owner: String, url: String, attempt: Int)] = []
        for f in folders {
            findings[f.owner] = Finding(owner: f.owner, complete: f.link == nil)
            if let link = f.link {
                guard let url = graph.batchPath(link) else {
                    findings[f.owner]!.expired = true  // a link that leaves the Graph host is not followed
                    continue
                }
                pending.append((f.owner, url, 1))
            } else {
                pending.append((f.owner, firstRound(f.contactsPath), 1))
            }
        }
        while !pending.isEmpty {
            try Task.checkCancellation()
            let chunks = stride(from: 0, to: pending.count, by: 20).map { Array(pending[$0..<min($0 + 20, pending.count)]) }
            pending = []
            var wait = 0.0
            for start in stride(from: 0, to: chunks.count, by: width) {
                let answers = try await withThrowingTaskGroup(of: [(String, String, Int, ItemAnswer)].self) { group in
                    for chunk in chunks[start..<min(start + width, chunks.count)] { group.addTask { try await ask(chunk) } }
                    var all: [(String, String, Int, ItemAnswer)] = []
                    for try await part in group { all += part }
                    return all
                }
                for (owner, url, attempt, answer) in answers {
                    switch answer {
                    case .page(let value, let next, let delta):
                        for c in value {
                            guard let id = c["id"]?.stringValue else { continue }
                            if c["@removed"] != nil {
                                findings[owner]!.removed.insert(id)
                                findings[owner]!.changed[id] = nil
                            } else {
                                findings[owner]!.changed[id] = c
                                findings[owner]!.removed.remove(id)
                            }
                        }
                        pages[owner, default: 0] += 1
                        if pages[owner]! > Self.maxPages { findings[owner]!.failure = "its delta did not end after \(Self.maxPages) pages" }
                        else if let next, let url = graph.batchPath(next) { pending.append((owner, url, 1)) }
                        else if let delta { findings[owner]!.link = delta }
                        else { findings[owner]!.failure = "a delta page had neither a nextLink nor a deltaLink" }
                    case .expired: findings[owner]!.expired = true
                    case .folderMissing: findings[owner]!.folderMissing = true
                    case .retry(let after, let why):
                        if attempt < Self.attempts {
                            pending.append((owner, url, attempt + 1))
                            wait = max(wait, after)
                        } else {
                            findings[owner]!.failure = why
                        }
                    case .failed(let why): findings[owner]!.failure = why
                    }
                }
            }
            if wait > 0, !pending.isEmpty { try await Task.sleep(for: .milliseconds(Int(min(wait, 60) * 1000))) }
        }
        return findings
    }

    /// One item's answer.
    enum ItemAnswer: Sendable {
        case page(value: [JSONValue], next: String?, delta: String?)
        case expired
        case folderMissing
        case retry(after: Double, why: String)
        case failed(String)
    }

    /// Sends one `$batch` of delta requests; a batch that fails as a whole is a retry for each item.
    func ask(_ chunk: [(owner: String, url: String, attempt: Int)]) async throws -> [(String, String, Int, ItemAnswer)] {
        let requests: [JSONValue] = chunk.enumerated().map { i, item in
            ["id": .string(String(i + 1)), "method": "GET", "url": .string(item.url),
             "headers": ["Prefer": .string("odata.maxpagesize=\(Self.pageSize)")]]
        }
        let response: GraphResponse
        do {
            response = try await graph.request("POST", "/$batch", body: ["requests": .array(requests)])
        } catch let error as GraphError where error.isRetryable {
            return chunk.map { ($0.owner, $0.url, $0.attempt, .retry(after: error.retryAfter ?? 2, why: "\(error.status) \(error.code)")) }
        } catch let error as HTTPTransportError where error.retryable {
            return chunk.map { ($0.owner, $0.url, $0.attempt, .retry(after: 2, why: error.description)) }
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as IdentityError {
            throw error  // no token: nothing else would work either
        } catch {
            // Anything else (a 4xx on the batch itself, an answer too large, TLS): these folders
            // are not concluded and keep their links; the check is not allowed to stop the cycle.
            return chunk.map { ($0.owner, $0.url, $0.attempt, .failed("\(error)")) }
        }
        var out: [(String, String, Int, ItemAnswer)] = []
        var answered: Set<Int> = []
        for r in response.json?["responses"]?.arrayValue ?? [] {
            guard let index = r["id"]?.stringValue.flatMap(Int.init), (1...chunk.count).contains(index), answered.insert(index).inserted else { continue }
            let item = chunk[index - 1]
            out.append((item.owner, item.url, item.attempt, Self.answer(r)))
        }
        for (i, item) in chunk.enumerated() where !answered.contains(i + 1) {
            out.append((item.owner, item.url, item.attempt, .retry(after: 1, why: "the batch answer left it out")))
        }
        return out
    }

    /// What one `$batch` item's answer means.
    static func answer(_ r: JSONValue) -> ItemAnswer {
        let status = Int(r["status"]?.numberValue ?? 0)
        let body = r["body"] ?? .null
        let code = SafeText.line(body["error"]?["code"]?.stringValue ?? "HTTP \(status)")
        switch status {
        case 200:
            guard let value = body["value"]?.arrayValue else { return .failed("a delta page was not a Graph collection") }
            return .page(value: value, next: body["@odata.nextLink"]?.stringValue, delta: body["@odata.deltaLink"]?.stringValue)
        case 410: return .expired
        case 400 where code.lowercased().contains("syncstate"): return .expired
        case 404: return .folderMissing
        case 429, 500..., 0:
            let after = RetryAfter.seconds(r["headers"]?.objectValue?.first { $0.key.lowercased() == "retry-after" }?.value.stringValue) ?? 1
            return .retry(after: after, why: "\(status) \(code)")
        default: return .failed("\(status) \(code)")
        }
    }
}
