import Foundation

/// Where a step's time goes, op by op: off unless turned on (`idgenrec bench --profile`).
///
/// An op's forward time is the time since the previous op made its output (ops run one after another on the
/// calling thread, so that is the op's own work plus whatever ran between the two); its backward time is its
/// backward closure's. Ops are named by the function that made their output (`matmul(_:_:)`).
public enum OpProfile {
    public struct Entry: Sendable {
        public var op: String
        public var calls = 0
        public var forwardSeconds = 0.0
        public var backwardSeconds = 0.0
    }

    nonisolated(unsafe) public static var isOn = false
    nonisolated(unsafe) private static var entries: [String: Entry] = [:]
    nonisolated(unsafe) private static var lastOutput: UInt64 = 0
    /// Whether a `measure` body is running (nested ones count toward the outer): ops inside count toward it, not
    /// under their own names.
    nonisolated(unsafe) private static var measuring = 0
    /// Where work between the last op and a measured stage goes, so that the shares add up to the whole.
    public static let betweenOps = "work between ops and stages"


    /// Forgets what was measured and starts the forward clock now.
    public static func reset() {
        entries = [:]
        lastOutput = DispatchTime.now().uptimeNanoseconds
    }

    /// What was measured since `reset()`, the costliest op first.
    public static var report: [Entry] {
        entries.values.sorted { $0.forwardSeconds + $0.backwardSeconds > $1.forwardSeconds + $1.backwardSeconds }
    }

    /// Times `body` under `name`: work that is not an op (the optimizer's update, beam bookkeeping), or a stage
    /// made of ops that should be seen as one (the encoder, the vocabulary projection). Ops inside count toward
    /// it, not under their own names; nothing of it counts as the next op's forward time.
    @discardableResult
    public static func measure<Result>(_ name: String, _ body: () throws -> Result) rethrows -> Result {
        guard isOn, measuring == 0 else { return try body() }   // nested: the outer one counts it
        let start = DispatchTime.now().uptimeNanoseconds
        entries[betweenOps, default: Entry(op: betweenOps)].forwardSeconds += Double(start &- lastOutput) / 1e9
        measuring += 1
        defer {
            measuring -= 1
            let now = DispatchTime.now().uptimeNanoseconds
            entries[name, default: Entry(op: name)].forwardSeconds += Double(now - start) / 1e9
            entries[name]!.calls += 1
            lastOutput = now
        }
        return try body()
    }

    static func outputMade(by op: StaticString) {
        guard measuring == 0 else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        entries["\(op)", default: Entry(op: "\(op)")].forwardSeconds += Double(now &- lastOutput) / 1e9
        entries["\(op)"]!.calls += 1
        lastOutput = now
    }

    static func backward(of op: StaticString, _ body: () -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        let now = DispatchTime.now().uptimeNanoseconds
        entries["\(op)", default: Entry(op: "\(op)")].backwardSeconds += Double(now - start) / 1e9
        lastOutput = now   // the next forward op's clock starts after the backward pass, not before it
    }
}
