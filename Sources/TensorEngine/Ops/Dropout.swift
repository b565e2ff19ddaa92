// Inverted dropout, alone and fused with the passes it follows in T5 (ReLU, the residual addition), so that a
// training step makes one pass over each activation instead of two.

/// Which values dropout keeps, one byte each (1 kept, 0 dropped). Blocks of the mask draw from their own
/// streams, seeded from one draw of the model's stream, so the mask is the same whatever the thread count.
/// Each 64-bit draw decides four values (16 bits each, so rates resolve to 1/65,536).
struct DropoutMask {
    let kept: [UInt8]
    /// 1/(1 - rate): what kept values are multiplied by.
    let scale: Float

    init(count: Int, rate: Float, random: RandomSource) {
        precondition(rate > 0 && rate < 1, "dropout rate must be in (0, 1), got \(rate)")
        // The rate as drawn (a multiple of 1/65,536, never all) sets the scale, so that kept values keep the mean.
        let threshold = min(UInt64((Double(rate) * 65_536).rounded()), 65_535), seed = random.next()
        scale = Float(65_536 / Double(65_536 - threshold))
        // Which values of the whole batch's mask this tensor's are (all of them, unless the process computes a share).
        var window = 0..<count
        if let share = random.batchShare, !share.rows.isEmpty, count % share.rows.count == 0 {
            let perRow = count / share.rows.count
            window = share.rows.lowerBound * perRow..<share.rows.upperBound * perRow
        }
        let block = Self.block
        kept = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            guard let o = out.baseAddress else { return }   // nothing to draw for an empty tensor
            let firstBlock = window.lowerBound / block, blocks = (window.upperBound + block - 1) / block - firstBlock
            Parallel.forEach(blocks, grain: 2) { range in
                for b in range {
                    let start = (firstBlock + b) * block
                    Self.draw(o - window.lowerBound, values: max(start, window.lowerBound)..<min(start + block, window.upperBound),
                              blockStart: start, seed: seed &+ UInt64(firstBlock + b) &* 0x9E37_79B9_7F4A_7C15, threshold: threshold)
                }
            }
            initialized = count
        }
    }

    /// Values per independently seeded stream: blocks are drawn in parallel, and the mask is the same on any thread count.
    static let block = 1 << 14

    /// Draws `values` (global indices within one block) into `o[values]`: each 64-bit draw decides four values, 16 bits each.
    private static func draw(_ o: UnsafeMutablePointer<UInt8>, values: Range<Int>, blockStart: Int, seed: UInt64, threshold: UInt64) {
        var stream = Xoshiro256StarStar(seed: seed)
        if values.lowerBound == blockStart {   // the whole block from its start: four values per draw, unrolled
            var i = values.lowerBound
            while i + 4 <= values.upperBound {
                let bits = stream.next()
                o[i] = bits & 0xFFFF >= threshold ? 1 : 0
                o[i + 1] = bits >> 16 & 0xFFFF >= threshold ? 1 : 0
                o[i + 2] = bits >> 32 & 0xFFFF >= threshold ? 1 : 0
                o[i + 3] = bits >> 48 >= threshold ? 1 : 0
                i += 4
            }
            if i < values.upperBound {   // the last one to three values
                let bits = stream.next()
                for j in i..<values.upperBound { o[j] = bits >> UInt64(16 * (j - i)) & 0xFFFF >= threshold ? 1 : 0 }
            }
            return
        }
        // A share starting inside the block: skip the draws of the values before it.
        for _ in 0..<(values.lowerBound - blockStart) / 4 { _ = stream.next() }
        var bits = stream.next()
        for i in values {
            let lane = (i - blockStart) & 3
            if lane == 0 && i != values.lowerBound { bits = stream.next() }
            o[i] = bits >> UInt64(16 * lane) & 0xFFFF >= threshold ? 1 : 0
        }
    }
}

extension Tensor {
    /// Inverted dropout: zeroes each value with probability `rate` and scales the rest by 1/(1-rate).
    /// The identity when `rate` is 0.
    public func dropout(rate: Float, random: RandomSource) -> Tensor {
        guard rate > 0 else { return self }
        let x = self, mask = DropoutMask(count: count, rate: rate, random: random), scale = mask.scale
        let out = x.scalars.withUnsafeBufferPointer { v in
            mask.kept.withUnsafeBufferPointer { m in
                generated(count) { range, o in for i in range { o[i] = v[i] * (Float(m[i]) * scale) } }
            }
        }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            mask.kept.withUnsafeBufferPointer { m in
                x.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i] * (Float(m[i]) * scale)) } }
            }
        }
    }

    /// dropout(max(0, x)) in one pass (T5's ReLU feed-forward): ReLU's output is never stored. The backward reads
    /// the output instead of x and the mask: a value passed both ReLU and dropout exactly where the output is positive.
    public func reluDropout(rate: Float, random: RandomSource) -> Tensor {
        guard rate > 0 else { return relu() }
        let x = self, mask = DropoutMask(count: count, rate: rate, random: random), scale = mask.scale
        let out = x.scalars.withUnsafeBufferPointer { v in
            mask.kept.withUnsafeBufferPointer { m in
                generated(count) { range, o in for i in range { o[i] = max(v[i], 0) * (Float(m[i]) * scale) } }
            }
        }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            out.withUnsafeBufferPointer { y in
                // A multiplier chosen per value, not a choice between products: the loop has no branch and vectorises.
                x.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i] * (y[i] > 0 ? scale : 0)) } }
            }
        }
    }

    /// x + dropout(y) in one pass: a residual connection around a sublayer's output `y`.
    public static func residual(_ x: Tensor, plusDropout y: Tensor, rate: Float, random: RandomSource) -> Tensor {
        guard rate > 0 else { return x + y }
        precondition(x.shape == y.shape, "residual: shapes \(x.shape) and \(y.shape) differ")
        let mask = DropoutMask(count: y.count, rate: rate, random: random), scale = mask.scale
        let out = x.scalars.withUnsafeBufferPointer { a in
            y.scalars.withUnsafeBufferPointer { b in
                mask.kept.withUnsafeBufferPointer { m in
                    generated(x.count) { range, o in for i in range { o[i] = a[i] + b[i] * (Float(m[i]) * scale) } }
                }
            }
        }
        return .result(shape: x.shape, scalars: out, inputs: [x, y]) { g in
            x.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i]) } }
            mask.kept.withUnsafeBufferPointer { m in
                y.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i] * (Float(m[i]) * scale)) } }
            }
        }
    }
}
