import Foundation

/// The guard in front of every allocation whose size a user controls (model shapes, batch and beam counts, input
/// lengths): an estimate is checked against this machine's memory before any of it is allocated, so a request
/// that cannot fit is an error that says so, never an allocation failure.
public enum MemoryBudget {
    /// The most a single request may need: most of the machine's physical memory.
    public static var limitBytes: Double { Double(ProcessInfo.processInfo.physicalMemory) * 0.9 }

    /// Throws when `bytes` (an estimate of what `what` allocates) exceeds the limit; `fix` says what to lower.
    public static func check(_ bytes: Double, for what: String, fix: String) throws(MemoryBudgetError) {
        guard bytes.isFinite, bytes <= limitBytes else {
            throw MemoryBudgetError(what: what, neededBytes: bytes, machineBytes: Double(ProcessInfo.processInfo.physicalMemory), fix: fix)
        }
    }
}

/// A request that would need more memory than the machine has.
public struct MemoryBudgetError: Error, CustomStringConvertible, Sendable {
    public let what: String
    public let neededBytes: Double
    public let machineBytes: Double
    public let fix: String

    public var description: String {
        "\(what) needs about \(Self.gigabytes(neededBytes)); this machine has \(Self.gigabytes(machineBytes)): \(fix)"
    }

    static func gigabytes(_ bytes: Double) -> String {
        guard bytes.isFinite else { return "more memory than can be counted" }
        return bytes >= 1e12 ? String(format: "%.0f GB", bytes / 1e9) : String(format: "%.1f GB", bytes / 1e9)
    }
}
