import Cluster
import T5
import TensorEngine

/// Data-parallel training: every process holds the whole model, computes a share of each global batch, and takes the
/// same AdamW step from the gradients summed over processes, so that the replicas stay identical and N processes
/// train the model one process would (same global batch, same dropout masks: see ``BatchShare``).
public struct DataParallel {
    public let communicator: any Communicator
    /// Floats per `MPI_Allreduce` of gradients: large enough that latency is paid rarely, small enough for a modest
    /// copy buffer.
    public var bucketSize = 1 << 22

    public init(communicator: any Communicator) { self.communicator = communicator }

    /// One process: every operation below leaves its values as they are.
    public static var single: DataParallel { DataParallel(communicator: SingleProcess()) }

    public var isLeader: Bool { communicator.isLeader }
    var isSingle: Bool { communicator.size == 1 }

    /// This process's rows of a global batch of `count`: contiguous, as even as can be (empty where there are more
    /// processes than rows).
    public func share(of count: Int) -> Range<Int> {
        isSingle ? 0..<count : (try! Shard(index: communicator.rank + 1, count: communicator.size)).range(of: count)
    }

    /// Makes every process's `tensors` process 0's: at the start of a phase, fresh or resumed.
    public func broadcast(_ tensors: [Tensor]) throws {
        guard !isSingle else { return }
        for tensor in tensors {
            try tensor.withUnsafeMutableScalars { values in try communicator.broadcast(UnsafeMutableRawBufferPointer(values), from: 0) }
        }
    }

    /// Runs `body` in process 0 first, then in the others: what may repair the run folder (opening a checkpoint that a
    /// kill left mid-swap) is done once, before anyone reads it.
    public func leaderFirst<T>(_ body: () throws -> T) throws -> T {
        guard !isSingle else { return try body() }
        if isLeader {
            let value = try body()
            _ = try sum([0])
            return value
        }
        _ = try sum([0])
        return try body()
    }

    /// Sums `values` over processes (losses, counts: doubles, exact for counts).
    public func sum(_ values: [Double]) throws -> [Double] {
        var values = values
        try communicator.sum(&values)
        return values
    }

    /// The gradient of the whole batch's mean loss from this process's share of it: the share's mean loss weighted by
    /// its share of the terms (target tokens), backpropagated, then the gradients summed over processes in buckets.
    /// A parameter no process reached keeps no gradient (AdamW leaves it alone, as one process would). Returns the whole
    /// batch's mean loss; nil `loss` is an empty share.
    public func backward(_ loss: BatchLoss?, parameters: [Tensor]) throws -> Double {
        if isSingle {
            guard let loss else { return .nan }
            loss.value.backward()
            return Double(loss.value.item)
        }
        let local = loss.map { Double($0.value.item) * Double($0.terms) } ?? 0
        let totals = try sum([local, Double(loss?.terms ?? 0)])
        guard totals[1] > 0 else { return .nan }
        if let loss, loss.terms > 0 { (loss.value * Float(Double(loss.terms) / totals[1])).backward() }
        let reachedAnywhere = try sum(parameters.map { $0.gradient == nil ? 0 : 1 })
        try sumGradients(zip(parameters, reachedAnywhere).compactMap { $1 > 0 ? $0 : nil })
        return totals[0] / totals[1]
    }

    /// Sums the gradients of `parameters` (zeros where a process has none) over processes: a large gradient in place,
    /// small ones copied together into buckets of up to `bucketSize` floats, so that latency is paid per bucket.
    public func sumGradients(_ parameters: [Tensor]) throws {
        var bucket: [Float] = [], members: [Tensor] = []
        func flush() throws {
            guard !members.isEmpty else { return }
            try bucket.withUnsafeMutableBufferPointer { try communicator.sum($0) }
            var offset = 0
            for tensor in members {
                tensor.withGradientStorage { gradient in
                    gradient.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: bucket[offset..<offset + $0.count]) }
                }
                offset += tensor.count
            }
            bucket.removeAll(keepingCapacity: true)
            members.removeAll(keepingCapacity: true)
        }
        for tensor in parameters {
            if tensor.count >= bucketSize / 4 {
                try tensor.withGradientStorage { gradient in try gradient.withUnsafeMutableBufferPointer { try communicator.sum($0) } }
                continue
            }
            if bucket.count + tensor.count > bucketSize { try flush() }
            tensor.withGradientStorage { bucket.append(contentsOf: $0) }
            members.append(tensor)
        }
        try flush()
    }

    /// Checks that every process holds process 0's weights bit for bit (an FNV-1a hash of `tensors`, compared with
    /// process 0's), and returns that hash. A replica that drifted (nodes whose floating point differs) is an error
    /// naming its rank, not a model that silently averages diverging copies.
    public func requireIdenticalReplicas(_ tensors: [Tensor]) throws -> UInt64 {
        var fnv = FNV1a()
        for tensor in tensors { tensor.withUnsafeMutableScalars { fnv.add(UnsafeRawBufferPointer($0)) } }
        let hash = fnv.value
        guard !isSingle else { return hash }
        var leader = hash
        try withUnsafeMutableBytes(of: &leader) { try communicator.broadcast($0, from: 0) }
        // Every process learns how many replicas differ, so that all stop together.
        let differing = try sum([leader == hash ? 0 : 1])[0]
        guard differing == 0 else {
            throw IDGenRecError.invalidInput("data-parallel training: \(Int(differing)) of \(communicator.size) replicas no longer hold rank 0's weights "
                                               + (leader == hash ? "(this one does)" : "(this one does not: \(String(hash, radix: 16)) vs \(String(leader, radix: 16)))")
                                               + "; every process must run the same build on CPUs that compute alike")
        }
        return hash
    }

    /// Makes every process's optimizer state process 0's (moments and step), for a resumed phase.
    public func broadcast(_ optimizer: AdamW) throws {
        guard !isSingle else { return }
        let state = optimizer.state()
        let names = state.tensors.keys.sorted()
        try broadcast(names.map { state.tensors[$0]! })
        var step = [Double(state.step)]
        try step.withUnsafeMutableBytes { try communicator.broadcast($0, from: 0) }
        try optimizer.restore(step: Int(step[0]), tensors: state.tensors)
    }
}

/// This process's share of a global batch, and how its tensors are padded: to the whole batch's longest source and
/// target, so that padding and dropout masks (``TensorEngine/RandomSource/batchShare``) are what one process computing
/// the whole batch would have, and N processes give its gradient to float rounding.
public struct BatchShare {
    /// The whole batch's sample indices.
    public let batch: [Int]
    /// The rows of `batch` this process computes.
    public let rows: Range<Int>

    public init(batch: [Int], rows: Range<Int>) {
        self.batch = batch
        self.rows = rows
    }

    /// The whole batch, in one process.
    public init(_ batch: [Int]) { self.init(batch: batch, rows: batch.indices) }

    /// The sample indices this process computes.
    public var samples: ArraySlice<Int> { batch[rows] }

    /// This share's rows of the whole batch's `sources` and `targets`, and the lengths the whole batch pads to.
    public func cut(sources: [[Int32]], targets: [[Int32]]) -> (sources: [[Int32]], targets: [[Int32]], padding: T5Batch.Padding) {
        let padding = T5Batch.Padding(source: sources.map(\.count).max() ?? 1, target: targets.map(\.count).max() ?? 1)
        return (Array(sources[rows]), Array(targets[rows]), padding)
    }
}

/// A share's mean loss and how many terms (target tokens) it averages: processes weight their gradients by it.
public struct BatchLoss {
    public var value: Tensor
    public var terms: Int

    public init(value: Tensor, terms: Int) {
        self.value = value
        self.terms = terms
    }

    /// The mean cross-entropy per target token of a batch with these targets.
    public init(value: Tensor, targets: [[Int32]]) {
        self.init(value: value, terms: targets.reduce(0) { $0 + $1.count })
    }
}
