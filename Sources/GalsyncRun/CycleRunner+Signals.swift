import GalsyncCore
import Synchronization
import UnixSignals

extension CycleRunner {
    /// `run` for a one-shot command, stopped by SIGINT or SIGTERM: the cycle is cancelled at
    /// its next step (in-flight transfers are aborted), records itself as interrupted with what
    /// it had confirmed, and the result's exit status is 130 (SIGINT) or 143 (SIGTERM), as a
    /// shell reports a process killed by that signal.
    public func runUntilSignalled(_ options: SyncEngine.Options) async -> Result {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        enum Event: Sendable {
            case finished(Result)
            case signalled(UnixSignal)
        }
        return await withTaskGroup(of: Event?.self) { group in
            group.addTask { .finished(await run(options)) }
            group.addTask {
                for await signal in signals { return .signalled(signal) }
                return nil
            }
            var received: UnixSignal?
            while let event = await group.next() {
                switch event {
                case .finished(var result)?:
                    group.cancelAll()
                    if let received, result.error != nil || result.exitStatus == .interrupted {
                        result.exitStatus = received == .sigint ? .interrupted : .terminated
                    }
                    return result
                case .signalled(let signal)?:
                    logger.notice("received \(signal), stopping the cycle")
                    received = signal
                    group.cancelAll()
                case nil:
                    continue
                }
            }
            return Result(summary: nil, error: CancellationError(), exitStatus: .interrupted)
        }
    }
}

/// "Start a cycle now" for the service (SIGUSR1): ends the wait between cycles early. A
/// request that comes while a cycle runs is kept, so one more cycle starts right after it
/// (several requests collapse into that one): whatever the operator changed before asking is
/// then certainly seen, even if the running cycle had read the directory already.
public final class CycleRequests: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    public init() {}

    /// Asks for a cycle now: wakes the wait, or is kept for the next one.
    public func request() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter else { s.pending = true; return nil }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Sleeps for `duration`, or less when a cycle is requested (at once if one was while the
    /// last cycle ran). Throws CancellationError when the task is cancelled (a shutdown).
    public func wait(for duration: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Task.sleep(for: duration) }
            group.addTask { await self.requested() }
            try await group.next()
            group.cancelAll()
        }
        try Task.checkCancellation()
    }

    /// Returns when a cycle is requested, or when cancelled (without consuming a request).
    private func requested() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.pending { s.pending = false; return true }
                    if Task.isCancelled { return true }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }?.resume()
        }
    }
}
