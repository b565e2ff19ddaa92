import Foundation

/// The arithmetic of the model's matrix products (linear layers, the LM head, batched `matmul`).
/// Attention's per-head products stay float32 in both.
public enum MatrixPrecision: String, Sendable, CaseIterable {
    /// float32 throughout, through BLAS: the reference the parity tests hold.
    case float32
    /// Operands rounded to bfloat16, products accumulated and written in float32, through oneDNN on CPUs
    /// with AVX-512 BF16: about twice float32's speed, at bfloat16's 8-bit mantissa on every operand.
    case bfloat16
}

/// Where the model's matrix products go: `use(_:)` chooses the precision for the whole process.
public enum MatrixProducts {
    nonisolated(unsafe) private static var current: MatrixPrecision = .float32

    /// The precision products run in now (float32 unless `use(.bfloat16)` succeeded).
    public static var precision: MatrixPrecision { current }

    /// Switches the process's products to `precision`; bfloat16 fails, saying why, where oneDNN or the
    /// CPU's BF16 instructions are missing.
    public static func use(_ precision: MatrixPrecision) throws {
        if precision == .bfloat16 { _ = try BFloat16Products.shared.get() }
        current = precision
    }

    /// In bfloat16 mode a product runs in bfloat16 when it has at least this many multiply-adds, or a weight of at
    /// least `smallestBFloat16Weight` values; others stay float32. A oneDNN call costs tens of microseconds (its
    /// threads wake, operands are rounded): more than a small product takes in BLAS (a tiny model's decoding),
    /// unless its weight is large enough that reading it in half the bytes pays (t5-small's decoding of one user).
    nonisolated(unsafe) static var smallestBFloat16Product = 1 << 22
    static let smallestBFloat16Weight = 1 << 18   // a 512 x 512 projection

    /// Whether a product of `multiplyAdds` with a weight of `weightCount` values (0: none) runs in bfloat16.
    static func runsInBFloat16(multiplyAdds: Int, weightCount: Int) -> Bool {
        current == .bfloat16 && (multiplyAdds >= smallestBFloat16Product || weightCount >= smallestBFloat16Weight)
    }

    /// `values` rounded for bfloat16 products of `multiplyAdds` each with a weight of `weightCount` values while
    /// those run in bfloat16 (else nil): an operand that feeds several products (a linear layer's input, forward
    /// and for its weight's gradient) is rounded once.
    static func rounded(_ values: UnsafeBufferPointer<Float>, forProductsOf multiplyAdds: Int, weightCount: Int) -> [UInt16]? {
        guard runsInBFloat16(multiplyAdds: multiplyAdds, weightCount: weightCount), let base = values.baseAddress else { return nil }
        return BFloat16Rounding.pack(rows: 1, columns: values.count, from: base, stride: values.count)
    }

    /// What runs the products, e.g. for logs and benchmarks.
    public static var summary: String {
        switch current {
        case .float32: return "float32 products: \(BLAS.summary)"
        case .bfloat16: return "bfloat16 products: \((try? BFloat16Products.shared.get())?.description ?? "unavailable")"
        }
    }

    /// C = op(A) op(B) + beta C in the chosen precision, split across the engine's threads.
    /// bfloat16 takes beta 0 (C overwritten) or 1 (accumulated into), the two the engine uses.
    /// `weights`, when given, is the tensor B's values come from, stored whole (ldb its row length): its
    /// bfloat16 copies are kept and reused instead of rounding B again. `roundedA` and `roundedB`, when given,
    /// are `rounded(_:)` of the operands as stored, for an operand that feeds several products.
    @inline(__always)
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, roundedA: [UInt16]? = nil, b: UnsafePointer<Float>, ldb: Int, roundedB: [UInt16]? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, weights: Tensor? = nil
    ) {
        if runsInBFloat16(multiplyAdds: m * n * k, weightCount: weights?.count ?? 0), let products = try? BFloat16Products.shared.get() {
            products.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, roundedA: roundedA,
                          b: b, ldb: ldb, roundedB: roundedB, weights: weights, beta: beta, c: c, ldc: ldc)
        } else {
            BLAS.shared.parallelGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                     a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}

/// A weight's values as bfloat16 products read them, made on first use and dropped (with the tensor's
/// `bfloat16Copies`) when the values change: a weight is read by its forward product and again by its
/// input's gradient, and by every step of a search.
final class BFloat16Copies: @unchecked Sendable {
    /// Row-major, as the tensor stores its values.
    let rounded: [UInt16]
    /// Laid out as compiled products prefer their weights, one copy per layout (made only while not recording
    /// gradients, where the same weights serve many products).
    var laidOut: [BFloat16Products.LaidOutWeights] = []

    init(rounded: [UInt16]) { self.rounded = rounded }
}

extension Tensor {
    /// This tensor's bfloat16 copies, rounding its values on first use. Callers hold `bfloat16Lock`.
    var bfloat16: BFloat16Copies {
        if let copies = bfloat16Copies { return copies }
        let copies = scalars.withUnsafeBufferPointer {
            BFloat16Copies(rounded: BFloat16Rounding.pack(rows: 1, columns: count, from: $0.baseAddress!, stride: count))
        }
        bfloat16Copies = copies
        return copies
    }

    /// Guards every tensor's `bfloat16Copies`.
    static let bfloat16Lock = NSLock()
}

/// float32 to bfloat16 (its upper 16 bits), rounded to nearest even; NaN stays a (quiet) NaN.
enum BFloat16Rounding {
    @inline(__always)
    static func round(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let rounded = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16)
        return bits & 0x7FFF_FFFF > 0x7F80_0000 ? 0x7FC0 : rounded
    }

    /// The float32 a bfloat16 stands for.
    @inline(__always)
    static func widen(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    /// Rounds a `rows` x `columns` block read with leading dimension `stride` into a packed row-major
    /// bfloat16 buffer, split across the engine's threads by rows.
    static func pack(rows: Int, columns: Int, from source: UnsafePointer<Float>, stride: Int) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: rows * columns) { buffer, initialized in
            let target = UncheckedSendable(buffer.baseAddress!)
            Parallel.forEach(rows, grain: max(1, Parallel.elementGrain / max(columns, 1))) { part in
                for row in part {
                    roundRow(source + row * stride, into: target.value + row * columns, count: columns)
                }
            }
            initialized = rows * columns
        }
    }

    /// A plain loop over `round`, which the compiler vectorises (explicit SIMD16 code here ran element by element).
    @inline(__always)
    private static func roundRow(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { target[i] = round(source[i]) }
    }

}
