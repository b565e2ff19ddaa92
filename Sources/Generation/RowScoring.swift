import Dispatch
import Foundation
import TensorEngine

/// What to extract from one row of logits: which logits row, which tokens may be chosen (nil: all), and whether
/// end-of-sequence is forbidden (minimum length not reached).
struct RowRequest: Sendable {
    var logitsRow: Int
    var input: Int
    var prefix: [Int32]
    var forbidsEndOfSequence: Bool
}

/// Per row: the log-softmax normaliser, and the `k` best allowed tokens by logit (best first, ties by lower
/// token id). A search only needs these few candidates per row, never the row sorted.
struct RowCandidates {
    let k: Int
    var maximum: [Float]
    var logSum: [Float]
    var counts: [Int]
    var tokens: [Int32]
    var logits: [Float]

    init(rows: Int, k: Int) {
        self.k = k
        maximum = [Float](repeating: 0, count: rows)
        logSum = [Float](repeating: 0, count: rows)
        counts = [Int](repeating: 0, count: rows)
        tokens = [Int32](repeating: 0, count: rows * k)
        logits = [Float](repeating: 0, count: rows * k)
    }

    /// The log-probability of a logit of `row`, rounded as PyTorch's `log_softmax` does: `(x - max) - log(sum)`.
    @inline(__always)
    func logProbability(_ logit: Float, row: Int) -> Float {
        (logit - maximum[row]) - logSum[row]
    }
}

enum RowScoring {
    /// Below this many logits a step's rows are scored on one thread: handing out work would cost more.
    static let parallelThreshold = 1 << 17

    /// Scores `requests` against `logits` (row-major, `vocabularySize` wide), keeping `k` candidates per row.
    static func candidates(
        logits: [Float],
        vocabularySize: Int,
        requests: [RowRequest],
        k: Int,
        endOfSequence: Int32,
        constraint: (any TokenConstraint)?
    ) throws(GenerationError) -> RowCandidates {
        var result = RowCandidates(rows: requests.count, k: k)
        let rowCount = requests.count
        guard rowCount > 0 else { return result }
        // Each row writes only its own slots, so the rows can be shared out between threads.
        let failure = logits.withUnsafeBufferPointer { logitsBuffer -> GenerationError? in
            result.maximum.withUnsafeMutableBufferPointer { maximum in
                result.logSum.withUnsafeMutableBufferPointer { logSum in
                    result.counts.withUnsafeMutableBufferPointer { counts in
                        result.tokens.withUnsafeMutableBufferPointer { tokens in
                            result.logits.withUnsafeMutableBufferPointer { candidateLogits in
                                let output = RowOutput(
                                    source: logitsBuffer, maximum: maximum, logSum: logSum, counts: counts,
                                    tokens: tokens, logits: candidateLogits)
                                let work = rowCount * vocabularySize
                                let chunks = work >= parallelThreshold ? min(rowCount, workerCount) : 1
                                let errors = ErrorSlots(count: chunks)
                                let body = { @Sendable (chunk: Int) in
                                    let lower = chunk * rowCount / chunks
                                    let upper = (chunk + 1) * rowCount / chunks
                                    for row in lower..<upper {
                                        do throws(GenerationError) {
                                            try scoreRow(
                                                row, request: requests[row], logits: output.source,
                                                vocabularySize: vocabularySize, k: k,
                                                endOfSequence: endOfSequence, constraint: constraint, output: output)
                                        } catch {
                                            errors.set(error, at: chunk)
                                            return
                                        }
                                    }
                                }
                                if chunks == 1 {
                                    body(0)
                                } else {
                                    DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
                                }
                                return errors.first
                            }
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        return result
    }

    static let workerCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// The buffers one step's row scoring reads and writes; threads touch disjoint rows only, hence unchecked.
    private struct RowOutput: @unchecked Sendable {
        let source: UnsafeBufferPointer<Float>
        let maximum: UnsafeMutableBufferPointer<Float>
        let logSum: UnsafeMutableBufferPointer<Float>
        let counts: UnsafeMutableBufferPointer<Int>
        let tokens: UnsafeMutableBufferPointer<Int32>
        let logits: UnsafeMutableBufferPointer<Float>
    }

    /// One error slot per chunk, so threads never write the same memory.
    private final class ErrorSlots: @unchecked Sendable {
        private var slots: [GenerationError?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ error: GenerationError, at index: Int) { slots[index] = error }
        var first: GenerationError? { slots.lazy.compactMap { $0 }.first }
    }

    private static func scoreRow(
        _ row: Int,
        request: RowRequest,
        logits: UnsafeBufferPointer<Float>,
        vocabularySize: Int,
        k: Int,
        endOfSequence: Int32,
        constraint: (any TokenConstraint)?,
        output: RowOutput
    ) throws(GenerationError) {
        let rowLogits = UnsafeBufferPointer(rebasing: logits[(request.logitsRow * vocabularySize)..<((request.logitsRow + 1) * vocabularySize)])
        let tokens = UnsafeMutableBufferPointer(rebasing: output.tokens[(row * k)..<((row + 1) * k)])
        let values = UnsafeMutableBufferPointer(rebasing: output.logits[(row * k)..<((row + 1) * k)])
        var selection = TopSelection(tokens: tokens, values: values)
        let banned: Int32 = request.forbidsEndOfSequence ? endOfSequence : -1
        // Unconstrained rows find their best tokens during the normalising pass.
        let (maximum, logSum) = constraint == nil
            ? withUnsafeMutablePointer(to: &selection) { logSumExp(rowLogits, selecting: $0, skipping: banned) }
            : logSumExp(rowLogits)
        output.maximum[row] = maximum
        output.logSum[row] = logSum
        if let constraint {
            let allowed = constraint.allowedTokens(input: request.input, prefix: request.prefix)
            guard !allowed.isEmpty else { throw .noAllowedTokens(input: request.input, prefix: request.prefix) }
            for token in allowed {
                guard token >= 0, Int(token) < vocabularySize else {
                    throw .tokenOutOfVocabulary(token: token, vocabularySize: vocabularySize)
                }
                if token == banned { continue }
                selection.offer(rowLogits[Int(token)] + constraint.bonus(input: request.input, prefix: request.prefix, token: token), token: token)
            }
        }
        output.counts[row] = selection.count
    }

    /// Logits per block of a row: small enough that a block read for its maximum is still in the L1 cache when
    /// read again for its exponentials.
    static let blockSize = 1024

    /// Maximum and `log(sum(exp(x - maximum)))` of a row, vectorised: this pass over the whole vocabulary is the
    /// one cost of decoding that grows with it. The row is taken in blocks, each summed against its own maximum
    /// and rescaled, so it is read from memory once. When `selection` is given, the blocks whose maximum could
    /// enter it are also scanned for the best tokens (all but a few blocks are skipped once it is full).
    static func logSumExp(
        _ row: UnsafeBufferPointer<Float>, selecting selection: UnsafeMutablePointer<TopSelection>? = nil,
        skipping skipped: Int32 = -1
    ) -> (maximum: Float, logSum: Float) {
        guard let base = row.baseAddress, row.count > 0 else { return (-.infinity, -.infinity) }
        var maximum = -Float.infinity
        var sum: Float = 0
        var blockStart = 0
        while blockStart < row.count {
            let blockEnd = Swift.min(blockStart + blockSize, row.count)
            let block = UnsafeBufferPointer(start: base + blockStart, count: blockEnd - blockStart)
            let blockMaximum = VectorMath.maximum(base + blockStart, count: block.count)
            if let selection, blockMaximum > selection.pointee.threshold {
                selection.pointee.scan(block, firstToken: blockStart, skipping: skipped)
            }
            if blockMaximum > -.infinity {
                let blockSum = VectorMath.exponentialSum(base + blockStart, count: block.count, shift: blockMaximum)
                if blockMaximum > maximum {
                    sum = sum * Foundation.exp(maximum - blockMaximum) + blockSum
                    maximum = blockMaximum
                } else {
                    sum += blockSum * Foundation.exp(blockMaximum - maximum)
                }
            }
            blockStart = blockEnd
        }
        guard maximum.isFinite else { return (maximum, maximum == -.infinity ? -.infinity : .nan) }
        return (maximum, Foundation.log(sum))
    }
}

/// The best `capacity` (logit, token) pairs seen so far, best first; ties keep the lower token id first, the order
/// `argmax` and a stable top-k give.
struct TopSelection {
    let tokens: UnsafeMutableBufferPointer<Int32>
    let values: UnsafeMutableBufferPointer<Float>
    private(set) var count = 0

    init(tokens: UnsafeMutableBufferPointer<Int32>, values: UnsafeMutableBufferPointer<Float>) {
        self.tokens = tokens
        self.values = values
    }

    var capacity: Int { tokens.count }

    @inline(__always)
    private func isBetter(_ value: Float, _ token: Int32, than position: Int) -> Bool {
        value > values[position] || (value == values[position] && token < tokens[position])
    }

    /// Offers one candidate in any token order.
    @inline(__always)
    mutating func offer(_ value: Float, token: Int32) {
        guard value == value, value > -.infinity else { return }
        if count == capacity {
            guard capacity > 0, isBetter(value, token, than: count - 1) else { return }
            count -= 1
        }
        var position = count
        while position > 0, isBetter(value, token, than: position - 1) {
            values[position] = values[position - 1]
            tokens[position] = tokens[position - 1]
            position -= 1
        }
        values[position] = value
        tokens[position] = token
        count += 1
    }

    /// The value a candidate must exceed to enter: minus infinity until full (minus infinity itself never enters).
    var threshold: Float { count < capacity ? -.infinity : values[count - 1] }

    /// Offers the logits of `block`, tokens `firstToken...` in increasing order, skipping `skipped`. Tokens arrive
    /// in increasing order, so a tie never displaces an earlier token: a plain comparison with the threshold
    /// rejects almost every logit without a call.
    mutating func scan(_ block: UnsafeBufferPointer<Float>, firstToken: Int, skipping skipped: Int32) {
        guard capacity > 0 else { return }
        var threshold = self.threshold
        for index in 0..<block.count where block[index] > threshold {
            let token = Int32(firstToken + index)
            if token == skipped { continue }
            offer(block[index], token: token)
            threshold = self.threshold
        }
    }
}
