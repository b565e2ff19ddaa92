/// One of N parts of a job that splits its users or items (`--shard I/N`, I counted from 1): contiguous blocks in
/// order, so that the parts put side by side are the whole job in the whole job's order.
public struct Shard: Codable, Sendable, Hashable, CustomStringConvertible {
    /// 1...count.
    public let index: Int
    public let count: Int

    /// The whole job as one part.
    public static let whole = try! Shard(index: 1, count: 1)

    public init(index: Int, count: Int) throws(ShardError) {
        guard count >= 1 else { throw .invalid("a job splits into at least 1 shard, not \(count)") }
        guard (1...count).contains(index) else {
            throw .invalid("shard \(index)/\(count) does not exist: shards are numbered 1 to \(count)")
        }
        self.index = index
        self.count = count
    }

    /// `I/N`, as `--shard` takes it.
    public init(parsing text: String) throws(ShardError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw .invalid("--shard \(text): expected I/N, the shard's number (from 1) and the number of shards, e.g. 2/8")
        }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// This shard's part of `0..<total`: whole blocks of `granule` (a decoding batch, so that a shard decodes exactly the
    /// batches one process would), split as evenly as whole blocks allow. A shard gets nothing where there are more
    /// shards than blocks: its part of the job is empty, not an error, so that an array of any size can run.
    public func range(of total: Int, granule: Int = 1) -> Range<Int> {
        let granule = max(granule, 1), blocks = (total + granule - 1) / granule
        let first = blocks * (index - 1) / count, last = blocks * index / count
        return min(first * granule, total)..<min(last * granule, total)
    }
}

/// A shard that cannot be, or a set of shards that do not make a whole job.
public enum ShardError: Error, CustomStringConvertible, Equatable {
    case invalid(String)

    public var description: String {
        switch self { case .invalid(let reason): return reason }
    }
}
