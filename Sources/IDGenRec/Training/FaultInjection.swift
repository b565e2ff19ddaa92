import Foundation

/// Crash points for the tests that prove a run survives a kill: with `IDGENREC_KILL_AT=<point>` (or `<point>:<n>`,
/// the n-th time it is reached) in the environment, the process sends itself SIGKILL there. Unset, as always outside
/// those tests, it does nothing.
enum FaultInjection {
    private static let request: (point: Substring, occurrence: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["IDGENREC_KILL_AT"] else { return nil }
        let parts = value.split(separator: ":")
        return (parts.first ?? "", parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    nonisolated(unsafe) private static var reached: [String: Int] = [:]

    static func killIfRequested(at point: String) {
        guard let request, request.point == point else { return }
        reached[point, default: 0] += 1
        if reached[point] == request.occurrence { kill(getpid(), SIGKILL) }
    }
}
