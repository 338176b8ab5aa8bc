import GalsyncCore
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
