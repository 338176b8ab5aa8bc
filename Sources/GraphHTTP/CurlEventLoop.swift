import CCurl
import CShims
import Foundation
import Synchronization

/// libcurl's multi interface driven by one thread: every request of the process is a transfer
/// on one multi handle, so hundreds are in flight without a thread each (a Dispatch worker
/// blocked in `curl_easy_perform` per request was the limit before: Linux's pool does not grow
/// to hundreds of blocked threads), and the connection cache (HTTP/2 multiplexed where the
/// server offers it) and the DNS cache are shared by all of them.
///
/// Other threads only put transfers and cancellations in the inbox and wake the loop
/// (`curl_multi_wakeup`, which libcurl documents as callable from any thread); the multi handle,
/// the easy handles and every transfer's state belong to the loop's thread. The thread lives as
/// long as the process, like an event loop's; while nothing is in flight it sleeps in
/// `curl_multi_poll` until woken.
final class CurlEventLoop: Sendable {
    static let shared = CurlEventLoop()

    private struct Inbox {
        var added: [CurlTransfer] = []
        var cancelled: [CurlTransfer] = []
    }
    private let inbox = Mutex(Inbox())
    nonisolated(unsafe) private let multi: UnsafeMutableRawPointer
    /// Idle easy handles kept for reuse (beyond this, finished handles are freed).
    static let idleHandles = 64

    private init() {
        _ = CurlTransport.globalInit
        Self.raiseFileLimit()
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: libcurl could not start") }
        self.multi = multi
        let thread = Thread { [self] in run() }
        thread.name = "galsync-curl"
        thread.start()
    }

    /// Hundreds of HTTP/1.1 transfers (a proxy, the simulator) take a socket each, past the
    /// soft limit of 1,024 descriptors that systemd and shells give by default. libcurl waits
    /// with poll(2), not select(2), so the soft limit is raised to the hard one (as systemd's
    /// documentation advises programs that need more and do not use select).
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = min(limit.rlim_max, 65_536)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Starts `transfer`; its continuation is resumed on the loop's thread when it ends.
    func submit(_ transfer: CurlTransfer) {
        inbox.withLock { $0.added.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Ends `transfer` with `CancellationError` if it is still in flight.
    func cancel(_ transfer: CurlTransfer) {
        inbox.withLock { $0.cancelled.append(transfer) }
        curl_multi_wakeup(multi)
    }

    private func run() -> Never {
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        var idle: [UnsafeMutableRawPointer] = []
        /// Cancelled transfers still given time to end (`HTTPRequest.cancelGrace`).
        var graced: [CurlTransfer] = []
        func recycle(_ h: UnsafeMutableRawPointer) {
            curl_easy_reset(h)
            if idle.count < Self.idleHandles { idle.append(h) } else { curl_easy_cleanup(h) }
        }
        while true {
            let (added, cancelled) = inbox.withLock { box in
                defer { box = Inbox() }
                return (box.added, box.cancelled)
            }
            for transfer in added {
                // Cancelled before it was submitted (the cancellation may have come first).
                if transfer.stop.isRaised {
                    transfer.finish(.failure(CancellationError()))
                    continue
                }
                guard let h = idle.popLast() ?? curl_easy_init() else {
                    transfer.finish(.failure(HTTPTransportError(code: -1, message: "curl_easy_init failed", retryable: false, context: transfer.context)))
                    continue
                }
                transfer.configure(h)
                let code = curl_multi_add_handle(multi, h)
                guard code == CURLM_OK else {
                    transfer.finish(.failure(HTTPTransportError(code: -1, message: "curl_multi_add_handle failed: \(String(cString: curl_multi_strerror(code)))", retryable: false, context: transfer.context)))
                    transfer.handle = nil
                    recycle(h)
                    continue
                }
                active[h] = transfer
            }
            func abort(_ transfer: CurlTransfer, _ h: UnsafeMutableRawPointer) {
                curl_multi_remove_handle(multi, h)
                active[h] = nil
                graced.removeAll { $0 === transfer }
                transfer.finish(.failure(CancellationError()))
                transfer.handle = nil
                recycle(h)
            }
            let now = ContinuousClock.now
            for transfer in cancelled {
                guard let h = transfer.handle, active[h] === transfer else { continue }
                if transfer.request.cancelGrace > 0, transfer.abortAt == nil {
                    transfer.abortAt = now + .milliseconds(Int(transfer.request.cancelGrace * 1000))
                    graced.append(transfer)
                } else if transfer.abortAt == nil {
                    abort(transfer, h)
                }
            }
            for transfer in graced where transfer.abortAt! <= now {
                if let h = transfer.handle { abort(transfer, h) }
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let h = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, h)
                guard let transfer = active.removeValue(forKey: h) else { continue }
                graced.removeAll { $0 === transfer }
                transfer.finish(transfer.outcome(code))
                transfer.handle = nil
                recycle(h)
            }
            // Sleeps until a socket is ready, libcurl's own next timeout, or a wakeup.
            var timeout = active.isEmpty ? 60_000 : 1_000
            if let first = graced.compactMap(\.abortAt).min() {
                let (seconds, attoseconds) = (first - ContinuousClock.now).components
                timeout = max(0, min(timeout, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1))
            }
            curl_multi_poll(multi, nil, 0, Int32(timeout), nil)
        }
    }
}
