import Foundation

// Multi-head attention, fused: scores, bias, masks, softmax, dropout and the weighted sum in one op with
// one backward, so that the (B, H, Tq, Tk) intermediates are never separate tensors on the tape.
// T5 does not scale scores by 1/√Dh (its initialisation absorbs it), so neither does this op.
//
// Legend: B = batch, Tq / Tk = query / key length, H = heads, Dh = head width, HD = H·Dh.
// Queries, keys and values stay in the (B, T, HD) layout the projections produce: a head is a strided
// matrix inside it, which BLAS reads through its leading dimension, so no transposes are needed.

/// Which keys a query may see.
public struct AttentionMask {
    /// Per key row (B × Tk), true where the key is a real token; nil = all keys are real.
    public var keyPadding: [Bool]?
    /// Queries see only keys at or before their own position (decoder self-attention).
    public var causal: Bool

    public init(keyPadding: [Bool]? = nil, causal: Bool = false) {
        self.keyPadding = keyPadding
        self.causal = causal
    }
}

/// The geometry of one attention call, over raw buffers (used by training and by cached decoding).
public struct AttentionGeometry {
    public var batch: Int, queryLength: Int, keyLength: Int, heads: Int, headWidth: Int
    /// Elements between consecutive batch rows of the key and value buffers (a cache may be longer than Tk).
    public var keyValueBatchStride: Int
    /// Maps a query batch row to its key/value batch row (beams of one input share its encoder states).
    public var keyValueRow: [Int]?

    public init(batch: Int, queryLength: Int, keyLength: Int, heads: Int, headWidth: Int,
                keyValueBatchStride: Int? = nil, keyValueRow: [Int]? = nil) {
        self.batch = batch; self.queryLength = queryLength; self.keyLength = keyLength
        self.heads = heads; self.headWidth = headWidth
        self.keyValueBatchStride = keyValueBatchStride ?? keyLength * heads * headWidth
        self.keyValueRow = keyValueRow
    }

    var width: Int { heads * headWidth }
    @inline(__always) func kvRow(_ b: Int) -> Int { keyValueRow?[b] ?? b }
}

public enum Attention {
    /// Softmax(Q Kᵀ + bias + mask) V for every (batch row, head), written into `output` (B, Tq, HD).
    /// `probabilities` (B, H, Tq, Tk) receives the softmax weights (before dropout, which `dropout`, a mask of
    /// the same shape, applies to the product only).
    public static func forward(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, mask: AttentionMask, geometry g: AttentionGeometry,
        dropout: AttentionDropout? = nil,
        probabilities: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        if g.queryLength == 1, bias == nil, dropout == nil, !mask.causal, let keyValueRow = g.keyValueRow {
            return sharedKeysForward(query: query, key: key, value: value, mask: mask, geometry: g, keyValueRow: keyValueRow,
                                     probabilities: probabilities, output: output)
        }
        let (tq, tk, hd, dh) = (g.queryLength, g.keyLength, g.width, g.headWidth)
        let causalShift = tk - tq
        // (batch row, head) pairs are independent: split them across threads, one BLAS call each.
        Parallel.forEach(g.batch * g.heads, grain: max(1, 4096 / max(tq * tk * dh, 1))) { pairs in
            let weighted = UnsafeMutablePointer<Float>.allocate(capacity: dropout == nil ? 1 : tq * tk)
            defer { weighted.deallocate() }
            for pair in pairs {
                let (b, h) = pair.quotientAndRemainder(dividingBy: g.heads)
                let kv = g.kvRow(b)
                let p = probabilities + pair * tq * tk
                let q = query + b * tq * hd + h * dh
                let k = key + kv * g.keyValueBatchStride + h * dh
                let v = value + kv * g.keyValueBatchStride + h * dh
                // scores (Tq, Tk) = Q (Tq, Dh) · Kᵀ (Dh, Tk)
                BLAS.shared.gemm(transposeA: false, transposeB: true, m: tq, n: tk, k: dh,
                                 a: q, lda: hd, b: k, ldb: hd, c: p, ldc: tk)
                for i in 0..<tq {
                    let row = p + i * tk
                    if let bias { let br = bias + (h * tq + i) * tk; for j in 0..<tk { row[j] += br[j] } }
                    softmax(row, count: tk, visible: mask.causal ? min(tk, i + causalShift + 1) : tk, mask: mask, keyRow: kv)
                }
                // output (Tq, Dh) = P (Tq, Tk) · V (Tk, Dh), P with dropout applied when training.
                var source = UnsafePointer(p)
                if let dropout {
                    let kept = dropout.kept + pair * tq * tk, scale = dropout.scale
                    for i in 0..<(tq * tk) { weighted[i] = p[i] * (Float(kept[i]) * scale) }
                    source = UnsafePointer(weighted)
                }
                BLAS.shared.gemm(transposeA: false, transposeB: false, m: tq, n: dh, k: tk,
                                 a: source, lda: tk, b: v, ldb: hd, c: output + b * tq * hd + h * dh, ldc: hd)
            }
        }
    }
}

extension Attention {
    /// Softmax over a row of scores in place: keys at or past `visible`, and keys the mask pads out, get 0.
    @inline(__always)
    static func softmax(_ row: UnsafeMutablePointer<Float>, count tk: Int, visible limit: Int, mask: AttentionMask, keyRow kv: Int) {
        precondition(limit >= 0 && limit <= tk, "attention: \(limit) visible keys of \(tk) (a causal mask needs no more queries than keys)")
        // Keys the query may not see score minus infinity, which the exponential turns into 0.
        for j in limit..<tk { row[j] = -.infinity }
        if let padding = mask.keyPadding {
            for j in 0..<limit where !padding[kv * tk + j] { row[j] = -.infinity }
        }
        _ = VectorMath.softmax(row, count: tk)
    }

    /// One query position per row, rows that share keys and values in runs (the beams of one input in cross-attention
    /// while decoding): each run and head is one product of all its rows' queries, not one product per row.
    static func sharedKeysForward(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, mask: AttentionMask,
        geometry g: AttentionGeometry, keyValueRow: [Int],
        probabilities: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let (tk, hd, dh, heads) = (g.keyLength, g.width, g.headWidth, g.heads)
        guard g.batch > 0 else { return }
        var runs: [Range<Int>] = []
        var start = 0
        for b in 1...g.batch where b == g.batch || keyValueRow[b] != keyValueRow[start] {
            runs.append(start..<b)
            start = b
        }
        Parallel.forEach(runs.count * heads, grain: max(1, 4096 / max(tk * dh, 1))) { pairs in
            for pair in pairs {
                let (run, h) = (runs[pair / heads], pair % heads)
                let kv = keyValueRow[run.lowerBound]
                // Row b's head h: its query at b·HD + h·Dh, its probabilities at (b·H + h)·Tk.
                let p = probabilities + (run.lowerBound * heads + h) * tk
                let k = key + kv * g.keyValueBatchStride + h * dh
                let v = value + kv * g.keyValueBatchStride + h * dh
                // scores (rows, Tk) = Q (rows, Dh) · Kᵀ (Dh, Tk)
                BLAS.shared.gemm(transposeA: false, transposeB: true, m: run.count, n: tk, k: dh,
                                 a: query + run.lowerBound * hd + h * dh, lda: hd, b: k, ldb: hd, c: p, ldc: heads * tk)
                for r in 0..<run.count { softmax(p + r * heads * tk, count: tk, visible: tk, mask: mask, keyRow: kv) }
                // output (rows, Dh) = P (rows, Tk) · V (Tk, Dh)
                BLAS.shared.gemm(transposeA: false, transposeB: false, m: run.count, n: dh, k: tk,
                                 a: p, lda: heads * tk, b: v, ldb: hd, c: output + run.lowerBound * hd + h * dh, ldc: hd)
            }
        }
    }
}

extension Tensor {
    /// Multi-head attention of `query` (B, Tq, HD) over `key` and `value` (B, Tk, HD), with an optional
    /// additive `bias` (H, Tq, Tk) shared across the batch (T5's relative positions) and attention dropout.
    public static func attention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, bias: Tensor?, mask: AttentionMask,
        dropoutRate: Float = 0, random: RandomSource? = nil
    ) -> Tensor {
        precondition(query.shape.count == 3 && key.shape.count == 3 && value.shape == key.shape,
                     "attention: query \(query.shape), key \(key.shape), value \(value.shape)")
        let (batch, tq, hd) = (query.shape[0], query.shape[1], query.shape[2])
        let tk = key.shape[1]
        precondition(key.shape[0] == batch && key.shape[2] == hd && hd % heads == 0, "attention: key \(key.shape) vs query \(query.shape)")
        precondition(bias == nil || bias!.shape == [heads, tq, tk], "attention: bias \(bias!.shape), expected \([heads, tq, tk])")
        precondition(mask.keyPadding == nil || mask.keyPadding!.count == batch * tk, "attention: key mask size")
        let geometry = AttentionGeometry(batch: batch, queryLength: tq, keyLength: tk, heads: heads, headWidth: hd / heads)
        let dh = hd / heads

        let dropoutMask = dropoutRate > 0 && random != nil
            ? DropoutMask(count: batch * heads * tq * tk, rate: dropoutRate, random: random!) : nil
        // Both are written whole by the kernel (every pair's scores and context), so neither is zeroed first.
        var probabilities = uninitializedValues(batch * heads * tq * tk)
        var out = uninitializedValues(batch * tq * hd)
        query.scalars.withUnsafeBufferPointer { q in
            key.scalars.withUnsafeBufferPointer { k in
                value.scalars.withUnsafeBufferPointer { v in
                    withOptionalPointer(bias?.scalars) { b in
                        AttentionDropout.with(dropoutMask) { d in
                            probabilities.withUnsafeMutableBufferPointer { p in
                                out.withUnsafeMutableBufferPointer { o in
                                    Attention.forward(query: q.baseAddress!, key: k.baseAddress!, value: v.baseAddress!, bias: b,
                                                      mask: mask, geometry: geometry, dropout: d,
                                                      probabilities: p.baseAddress!, output: o.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        var inputs = [query, key, value]
        if let bias { inputs.append(bias) }
        return .result(shape: query.shape, scalars: out, inputs: inputs) { gradient in
            // Per (b, h), with P the probabilities and P' = P ⊙ dropout:
            //   dV = P'ᵀ dO,  dP = (dO Vᵀ) ⊙ dropout,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),
            //   dQ = dS K,  dK = dSᵀ Q,  dBias = Σ_b dS.
            // Each (b, h) pair writes its own (T, Dh) block of each, and the blocks tile them: no zeroing pass.
            var dQ = uninitializedValues(query.count)
            var dK = uninitializedValues(key.count)
            var dV = uninitializedValues(value.count)
            // Each thread sums its own share of dBias (heads repeat across the batch); shares are added after.
            let threads = Parallel.threadCount, biasCount = bias?.count ?? 0
            var dBiasShares = [Float](repeating: 0, count: threads * biasCount)
            query.scalars.withUnsafeBufferPointer { q in
            key.scalars.withUnsafeBufferPointer { k in
            value.scalars.withUnsafeBufferPointer { v in
            probabilities.withUnsafeBufferPointer { probs in
            AttentionDropout.with(dropoutMask) { dropout in
            dQ.withUnsafeMutableBufferPointer { dq in
            dK.withUnsafeMutableBufferPointer { dk in
            dV.withUnsafeMutableBufferPointer { dv in
            dBiasShares.withUnsafeMutableBufferPointer { dBiasAll in
                let chunkCount = min(threads, batch * heads)
                Parallel.forEach(chunkCount) { chunks in
                    for chunk in chunks {
                        let ds = UnsafeMutablePointer<Float>.allocate(capacity: tq * tk)
                        let w = UnsafeMutablePointer<Float>.allocate(capacity: tq * tk)
                        defer { ds.deallocate(); w.deallocate() }
                        let dBias = dBiasAll.baseAddress! + chunk * biasCount
                        for pair in (chunk * batch * heads / chunkCount)..<((chunk + 1) * batch * heads / chunkCount) {
                            let (b, h) = pair.quotientAndRemainder(dividingBy: heads)
                            let offset = b * tq * hd + h * dh, kvOffset = b * tk * hd + h * dh
                            let p = probs.baseAddress! + pair * tq * tk
                            let dO = gradient.baseAddress! + offset
                            var pUsed = p
                            if let dropout {
                                let kept = dropout.kept + pair * tq * tk, scale = dropout.scale
                                for i in 0..<(tq * tk) { w[i] = p[i] * (Float(kept[i]) * scale) }
                                pUsed = UnsafePointer(w)
                            }
                            // dV (Tk, Dh) = P'ᵀ (Tk, Tq) · dO (Tq, Dh)
                            BLAS.shared.gemm(transposeA: true, transposeB: false, m: tk, n: dh, k: tq,
                                             a: pUsed, lda: tk, b: dO, ldb: hd, c: dv.baseAddress! + kvOffset, ldc: hd)
                            // dP (Tq, Tk) = dO (Tq, Dh) · Vᵀ (Dh, Tk)
                            BLAS.shared.gemm(transposeA: false, transposeB: true, m: tq, n: tk, k: dh,
                                             a: dO, lda: hd, b: v.baseAddress! + kvOffset, ldb: hd, c: ds, ldc: tk)
                            // Row pointers, not `row + j` indices: index arithmetic checked for overflow keeps the
                            // compiler from vectorising these loops.
                            for i in 0..<tq {
                                let (dsRow, pRow) = (ds + i * tk, p + i * tk)
                                if let dropout {
                                    let kept = dropout.kept + pair * tq * tk + i * tk, scale = dropout.scale
                                    for j in 0..<tk { dsRow[j] *= Float(kept[j]) * scale }
                                }
                                let dot = VectorMath.dot(dsRow, pRow, count: tk)
                                for j in 0..<tk { dsRow[j] = pRow[j] * (dsRow[j] - dot) }
                            }
                            if biasCount > 0 {
                                let headBias = dBias + h * tq * tk
                                for i in 0..<(tq * tk) { headBias[i] += ds[i] }
                            }
                            // dQ (Tq, Dh) = dS (Tq, Tk) · K (Tk, Dh);  dK (Tk, Dh) = dSᵀ (Tk, Tq) · Q (Tq, Dh)
                            BLAS.shared.gemm(transposeA: false, transposeB: false, m: tq, n: dh, k: tk,
                                             a: ds, lda: tk, b: k.baseAddress! + kvOffset, ldb: hd,
                                             c: dq.baseAddress! + offset, ldc: hd)
                            BLAS.shared.gemm(transposeA: true, transposeB: false, m: tk, n: dh, k: tq,
                                             a: ds, lda: tk, b: q.baseAddress! + offset, ldb: hd,
                                             c: dk.baseAddress! + kvOffset, ldc: hd)
                        }
                    }
                }
            }}}}}}}}}
            bias?.accumulateGradient { d in
                for share in 0..<threads { for i in 0..<d.count { d[i] += dBiasShares[share * biasCount + i] } }
            }
            query.accumulateGradient(adding: dQ)
            key.accumulateGradient(adding: dK)
            value.accumulateGradient(adding: dV)
        }
    }
}

/// Attention dropout's mask over the (B, H, Tq, Tk) probabilities: one byte per value (1 kept), and what kept
/// values are multiplied by.
public struct AttentionDropout {
    public let kept: UnsafePointer<UInt8>
    public let scale: Float

    /// Calls `body` with `mask` as an `AttentionDropout`, or nil when there is none.
    static func with<R>(_ mask: DropoutMask?, _ body: (AttentionDropout?) -> R) -> R {
        guard let mask else { return body(nil) }
        return mask.kept.withUnsafeBufferPointer { body(AttentionDropout(kept: $0.baseAddress!, scale: mask.scale)) }
    }
}

/// Calls `body` with a pointer to `values`, or nil when there are none.
@inline(__always)
public func withOptionalPointer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}
