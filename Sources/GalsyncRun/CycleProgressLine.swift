import Foundation
import GalsyncWriter

/// The one line that says how a running cycle is doing, the same on a terminal, in the info
/// line off one, and in the service's STATUS=: "cycle 7: writing 41/99 mailboxes, 18,204 of
/// 30,000 written, 1,234 requests, 12 throttled, waiting 42 s (Retry-After), ETA 3 min".
public enum CycleProgressLine {
    public static func text(_ c: CycleProgress.Counts, requests: Int, throttled: Int, writingFor: TimeInterval?,
                            now: ContinuousClock.Instant = .now) -> String {
        var parts: [String] = []
        let head = c.cycle.map { "cycle \($0): " } ?? ""
        if c.phase == "writing" {
            parts.append("writing \(c.mailboxesDone)/\(c.mailboxes) mailboxes")
            parts.append("\(c.written.formatted()) of \(c.operations.formatted()) written")
        } else {
            // Other phases (planning, listing again, purging mailbox 3 of 11) say their own count.
            parts.append(c.phase)
            if c.created + c.updated == 0, c.deleted > 0 { parts.append("\(c.deleted.formatted()) deleted") }
            else if c.written > 0 { parts.append("\(c.written.formatted()) written") }
        }
        parts.append("\(requests.formatted()) requests")
        if throttled > 0 { parts.append("\(throttled.formatted()) throttled") }
        if let until = c.waitingUntil, until > now {
            let seconds = Int((until - now).components.seconds) + 1
            parts.append("waiting \(seconds) s (Retry-After)")
        }
        if let writingFor, writingFor > 5, c.written > 0, c.operations > c.written {
            let rate = Double(c.written) / writingFor
            parts.append("ETA \(Ago.text(Double(c.operations - c.written) / rate))")
        }
        return head + parts.joined(separator: ", ")
    }
}
