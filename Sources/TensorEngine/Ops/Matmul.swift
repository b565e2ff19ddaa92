// Matrix products, through `MatrixProducts` (BLAS in float32, oneDNN in bfloat16).
// Legend: N = rows (batch × time flattened), I = input features, O = output features.

/// A new buffer of `count` values written entirely by `body`, never zeroed first: a BLAS product with β = 0
/// ignores what C held, so zeroing it would be a wasted pass over memory.
@inline(__always)
func productBuffer(count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        if count > 0 { body(buffer.baseAddress!) }
        initialized = count
    }
}

extension Tensor {
    /// x Wᵀ for x (..., I) and a weight (O, I) stored as transformers stores `nn.Linear` (no bias: T5 has none).
    public func linear(_ weight: Tensor) -> Tensor {
        precondition(weight.shape.count == 2, "linear: weight must be 2-D, got \(weight.shape)")
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        precondition(shape.last == inFeatures, "linear: input \(shape) does not end in \(inFeatures)")
        let x = self
        let n = count / inFeatures
        // In bfloat16, x is rounded once: for this product and for the weight's gradient (each n·O·I multiply-adds).
        let multiplyAdds = n * outFeatures * inFeatures
        let roundedX = x.scalars.withUnsafeBufferPointer { MatrixProducts.rounded($0, forProductsOf: multiplyAdds, weightCount: weight.count) }
        let out = productBuffer(count: n * outFeatures) { c in
            x.scalars.withUnsafeBufferPointer { a in
                weight.scalars.withUnsafeBufferPointer { w in
                    MatrixProducts.gemm(transposeA: false, transposeB: true, m: n, n: outFeatures, k: inFeatures,
                                        a: a.baseAddress!, lda: inFeatures, roundedA: roundedX, b: w.baseAddress!, ldb: inFeatures,
                                        c: c, ldc: outFeatures, weights: weight)
                }
            }
        }
        return .result(shape: Array(shape.dropLast()) + [outFeatures], scalars: out, inputs: [x, weight]) { g in
            let roundedG = MatrixProducts.rounded(g, forProductsOf: multiplyAdds, weightCount: weight.count)   // dY feeds both products below
            // dX (N, I) += dY (N, O) · W (O, I)
            x.accumulateGradientByProduct { dX, beta in
                weight.scalars.withUnsafeBufferPointer { w in
                    MatrixProducts.gemm(transposeA: false, transposeB: false, m: n, n: inFeatures, k: outFeatures,
                                        a: g.baseAddress!, lda: outFeatures, roundedA: roundedG, b: w.baseAddress!, ldb: inFeatures,
                                        beta: beta, c: dX, ldc: inFeatures, weights: weight)
                }
            }
            // dW (O, I) += dYᵀ (O, N) · X (N, I)
            weight.accumulateGradientByProduct { dW, beta in
                x.scalars.withUnsafeBufferPointer { a in
                    MatrixProducts.gemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: n,
                                        a: g.baseAddress!, lda: outFeatures, roundedA: roundedG, b: a.baseAddress!, ldb: inFeatures,
                                        roundedB: roundedX, beta: beta, c: dW, ldc: inFeatures)
                }
            }
        }
    }

    /// Matrix product over the last two dimensions: (..., M, K) × (K, N) or (..., M, K) × (..., K, N)
    /// with equal leading dimensions. `transposeB` reads `other` as (..., N, K).
    public func matmul(_ other: Tensor, transposeB: Bool = false) -> Tensor {
        let a = self, b = other
        precondition(a.shape.count >= 2 && b.shape.count >= 2, "matmul: operands must be at least 2-D")
        let m = a.shape[a.shape.count - 2], k = a.shape[a.shape.count - 1]
        let bRows = b.shape[b.shape.count - 2], bColumns = b.shape[b.shape.count - 1]
        let n = transposeB ? bRows : bColumns
        precondition((transposeB ? bColumns : bRows) == k, "matmul: \(a.shape) × \(b.shape)\(transposeB ? "ᵀ" : "") do not chain")
        let batch = a.count / (m * k)
        let bBatched = b.shape.count > 2
        precondition(!bBatched || b.count / (bRows * bColumns) == batch, "matmul: batch sizes of \(a.shape) and \(b.shape) differ")
        let bStride = bBatched ? bRows * bColumns : 0
        let out = productBuffer(count: batch * m * n) { pc in
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    if !bBatched && !transposeB {
                        // One product for the whole batch: (batch·M, K) × (K, N).
                        MatrixProducts.gemm(transposeA: false, transposeB: false, m: batch * m, n: n, k: k,
                                            a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: bColumns,
                                            c: pc, ldc: n)
                        return
                    }
                    for i in 0..<batch {
                        MatrixProducts.gemm(transposeA: false, transposeB: transposeB, m: m, n: n, k: k,
                                            a: pa.baseAddress! + i * m * k, lda: k,
                                            b: pb.baseAddress! + i * bStride, ldb: bColumns,
                                            c: pc + i * m * n, ldc: n)
                    }
                }
            }
        }
        let outShape = Array(a.shape.dropLast()) + [n]
        return .result(shape: outShape, scalars: out, inputs: [a, b]) { g in
            // dA (M, K) += dC (M, N) · op(B)ᵀ
            a.accumulateGradient { dA in
                b.scalars.withUnsafeBufferPointer { pb in
                    for i in 0..<batch {
                        MatrixProducts.gemm(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n,
                                            a: g.baseAddress! + i * m * n, lda: n,
                                            b: pb.baseAddress! + i * bStride, ldb: bColumns,
                                            beta: 1, c: dA.baseAddress! + i * m * k, ldc: k)
                    }
                }
            }
            // dB += Aᵀ · dC (or its transpose when B was read transposed); summed over the batch when B is shared.
            b.accumulateGradient { dB in
                a.scalars.withUnsafeBufferPointer { pa in
                    for i in 0..<batch {
                        if transposeB {
                            // dB (N, K) += dCᵀ (N, M) · A (M, K)
                            MatrixProducts.gemm(transposeA: true, transposeB: false, m: n, n: k, k: m,
                                                a: g.baseAddress! + i * m * n, lda: n, b: pa.baseAddress! + i * m * k, ldb: k,
                                                beta: 1, c: dB.baseAddress! + i * bStride, ldc: k)
                        } else {
                            // dB (K, N) += Aᵀ (K, M) · dC (M, N)
                            MatrixProducts.gemm(transposeA: true, transposeB: false, m: k, n: n, k: m,
                                                a: pa.baseAddress! + i * m * k, lda: k, b: g.baseAddress! + i * m * n, ldb: n,
                                                beta: 1, c: dB.baseAddress! + i * bStride, ldc: n)
                        }
                    }
                }
            }
        }
    }
}
