import Foundation
import GalsyncJSON

/// Every knob of the simulator, with Microsoft's documented values as defaults.
public struct SimulatorSettings: Sendable, Codable, Equatable {
    // Outlook throttling, per app per mailbox.
    public var mailboxConcurrency = 4
    public var mailboxRequests = 10_000
    public var mailboxWindowSeconds = 600.0
    // Graph global limit, per app.
    public var globalRequests = 130_000
    public var globalWindowSeconds = 10.0
    // Identity.
    public var tokenLifetimeSeconds = 3599
    public var clockSkewSeconds = 300.0
    /// Reject a client assertion whose `jti` was seen before. Stricter than Entra documents
    /// (an assertion "can be used until" `exp`), so that clients are held to a fresh jti per request.
    public var rejectReplayedAssertions = true
    // Directory delta.
    public var deltaTokenLifetimeSeconds = 7 * 86_400.0
    /// How an expired delta token is answered: `syncStateNotFound` (400) or `gone` (410 + Location).
    public var expiredDeltaMode = "syncStateNotFound"
    public var deltaPageSize = 100
    // Contacts delta (Outlook).
    /// How long a contacts delta or skip token stays usable. Microsoft gives Outlook delta
    /// tokens no fixed lifetime (a cache drops the oldest), so this is a guess: 30 days.
    public var contactDeltaTokenLifetimeSeconds = 30 * 86_400.0
    /// How a stale contacts delta token is answered: `gone` (410 `SyncStateNotFound`, as
    /// reported for Outlook delta), `badRequest` (400 `SyncStateNotFound`) or
    /// `syncStateInvalid` (410 `SyncStateInvalid`).
    public var expiredContactDeltaMode = "gone"
    /// Entries per contacts delta page without `Prefer: odata.maxpagesize` (Outlook pages by 10).
    public var contactDeltaPageSize = 10
    // Faults, at seeded rates (0...1), and latency added to every Graph request.
    public var faultSeed: UInt64 = 1
    public var rate503 = 0.0
    public var rate504 = 0.0
    public var rateDrop = 0.0
    /// Faults after the request was carried out (the client cannot tell it from one that was
    /// not): a 504 answer, and a connection closed instead of the answer. On a `$batch` item
    /// the 504 replaces that item's answer; a dropped connection loses the whole batch's answer
    /// after every item ran.
    public var rate504Processed = 0.0
    public var rateDropProcessed = 0.0
    public var latencyMs = 0.0
    public var jitterMs = 0.0
    /// Time Exchange takes per Outlook item (a contact or folder read or write, alone or as a
    /// `$batch` item), on top of `latencyMs`: real Graph answers such an item in roughly
    /// 100–500 ms and runs at most 4 items of one batch at a time, so a batch of 20 takes
    /// 5 × this. Directory requests do not get it.
    public var itemLatencyMs = 0.0
    /// `Retry-After` seconds sent with injected 503s.
    public var retryAfter503 = 1.0

    public init() {}

    /// Applies a JSON object of overrides (the control API's `PUT /_sim/settings`); unknown keys are an error.
    public func merging(_ patch: JSONValue) throws -> SimulatorSettings {
        guard var current = JSONValue.parse(try JSONEncoder().encode(self))?.objectValue, let changes = patch.objectValue else {
            throw SettingsError(message: "settings must be a JSON object")
        }
        for (key, value) in changes {
            guard current[key] != nil else { throw SettingsError(message: "unknown setting '\(key)'; known: \(current.keys.sorted().joined(separator: ", "))") }
            current[key] = value
        }
        do {
            return try JSONDecoder().decode(SimulatorSettings.self, from: JSONValue.object(current).encoded())
        } catch {
            throw SettingsError(message: "a setting has the wrong type: \(error)")
        }
    }

    public struct SettingsError: Error, Sendable { public let message: String }
}
