import Foundation
import XCTest
@testable import TensorEngine

/// bfloat16 products: the rounding, checked bit by bit, and oneDNN's products against an independent reference
/// (double-precision sums of the rounded operands) and against float32 within bfloat16's error bound.
final class BFloat16Tests: XCTestCase {
    func testRoundingIsToNearestEven() {
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (-2.5, 0xC020), (0, 0x0000), (-0.0, 0x8000),
            (1 + 0x1p-8, 0x3F80),           // halfway between 1 and 1 + 2⁻⁷: to the even mantissa, down
            (1 + 3 * 0x1p-8, 0x3F82),       // halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: to the even mantissa, up
            (1 + 0x1p-8 + 0x1p-20, 0x3F81), // just past halfway: up
            (.infinity, 0x7F80), (-.infinity, 0xFF80),
            (.greatestFiniteMagnitude, 0x7F80),   // rounds past bfloat16's largest finite value
            (.leastNonzeroMagnitude, 0x0000),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(BFloat16Rounding.round(value), expected, "\(value)")
        }
        XCTAssertTrue(BFloat16Rounding.widen(BFloat16Rounding.round(.nan)).isNaN)
        XCTAssertTrue(BFloat16Rounding.widen(BFloat16Rounding.round(Float(bitPattern: 0x7FFF_FFFF))).isNaN, "a NaN never rounds into a sign flip")
        // Packing reads `columns` of each row and skips the rest of the leading dimension.
        let source: [Float] = [1, 2, 99, 3, 4, 99]
        let packed = source.withUnsafeBufferPointer { BFloat16Rounding.pack(rows: 2, columns: 2, from: $0.baseAddress!, stride: 3) }
        XCTAssertEqual(packed.map(BFloat16Rounding.widen), [1, 2, 3, 4])
    }

    /// Every transpose combination, both betas, leading dimensions wider than the matrices, and B given as a weights
    /// tensor: its rounded copy while recording gradients, its copy laid out for the product while not (a search).
    func testProductsMatchAReferenceOnRoundedOperands() throws {
        try withBFloat16Products {
            let random = RandomSource(seed: 11)
            let (m, n, k) = (37, 29, 53)
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    for beta: Float in [0, 1] {
                        for (weighted, laidOut) in [(false, false), (true, false), (true, true)] {
                            // Stored shapes: A is (m, k) or (k, m); B is (k, n) or (n, k); C is (m, n); all padded by 3 columns,
                            // except B when it comes from a weights tensor (stored whole).
                            let aRows = transposeA ? k : m, aColumns = transposeA ? m : k, lda = aColumns + 3
                            let bRows = transposeB ? n : k, bColumns = transposeB ? k : n, ldb = bColumns + (weighted ? 0 : 3)
                            let ldc = n + 3
                            let a = (0..<(aRows * lda)).map { _ in random.nextNormal() }
                            let b = (0..<(bRows * ldb)).map { _ in random.nextNormal() }
                            let initial = (0..<(m * ldc)).map { _ in random.nextNormal() }
                            var c = initial
                            let weights = weighted ? Tensor(shape: [bRows, bColumns], scalars: b) : nil
                            func multiply() {
                                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                                    MatrixProducts.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                                        a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                                        beta: beta, c: pc.baseAddress!, ldc: ldc, weights: weights)
                                } } }
                            }
                            if laidOut { withoutGradient(multiply) } else { multiply() }
                            func opA(_ i: Int, _ l: Int) -> Float { transposeA ? a[l * lda + i] : a[i * lda + l] }
                            func opB(_ l: Int, _ j: Int) -> Float { transposeB ? b[j * ldb + l] : b[l * ldb + j] }
                            func rounded(_ x: Float) -> Double { Double(BFloat16Rounding.widen(BFloat16Rounding.round(x))) }
                            let label = "transposeA \(transposeA), transposeB \(transposeB), beta \(beta), weights \(weighted), laid out \(laidOut)"
                            for i in 0..<m {
                                for j in 0..<n {
                                    var exact = 0.0, magnitude = 0.0, unrounded = 0.0
                                    for l in 0..<k {
                                        exact += rounded(opA(i, l)) * rounded(opB(l, j))
                                        unrounded += Double(opA(i, l)) * Double(opB(l, j))
                                        magnitude += abs(Double(opA(i, l)) * Double(opB(l, j)))
                                    }
                                    let previous = Double(beta) * Double(initial[i * ldc + j])
                                    let got = Double(c[i * ldc + j])
                                    // oneDNN multiplies the rounded operands and sums in float32.
                                    XCTAssertEqual(got, exact + previous, accuracy: 1e-5 * (magnitude + abs(previous)) + 1e-6, "\(label) at (\(i), \(j))")
                                    // So against float32 operands it errs by at most about 2⁻⁷ of the magnitude (two roundings of 2⁻⁸).
                                    XCTAssertEqual(got, unrounded + previous, accuracy: 0x1p-7 * magnitude + 1e-5 * abs(previous) + 1e-6, "\(label) at (\(i), \(j))")
                                }
                            }
                            // Columns past n in C are left alone.
                            for i in 0..<m { XCTAssertEqual(Array(c[(i * ldc + n)..<(i * ldc + ldc)]), Array(initial[(i * ldc + n)..<(i * ldc + ldc)])) }
                        }
                    }
                }
            }
        }
    }

    /// A linear layer's output and both gradients in bfloat16 stay within the bound of the float32 ones, and a
    /// weight changed in place (as an optimizer changes it) is rounded afresh, not read from a stale copy.
    func testLinearLayerAndItsGradientsFollowFloat32() throws {
        let random = RandomSource(seed: 5)
        let x = Tensor(shape: [6, 10, 48], scalars: (0..<2880).map { _ in random.nextNormal() }, requiresGradient: true)
        let weight = Tensor(shape: [24, 48], scalars: (0..<1152).map { _ in random.nextNormal() * 0.2 }, requiresGradient: true)
        let upstream = (0..<1440).map { _ in random.nextNormal() }
        func run() -> (output: [Float], dX: [Float], dW: [Float]) {
            x.zeroGradient(); weight.zeroGradient()
            let y = x.linear(weight)
            y.backward(seed: upstream)
            return (y.scalars, x.gradient!, weight.gradient!)
        }
        let reference = run()
        try withBFloat16Products {
            let reduced = run()
            for (name, got, expected) in [("output", reduced.output, reference.output), ("dX", reduced.dX, reference.dX), ("dW", reduced.dW, reference.dW)] {
                let scale = expected.map(abs).max()!
                let worst = zip(got, expected).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(worst, 0.02 * scale, "\(name): worst difference \(worst) against values up to \(scale)")
                XCTAssertGreaterThan(worst, 0, "\(name): bfloat16 products should differ from float32 somewhere")
            }
            // Without gradients the product reads the weights laid out for it: the same output.
            let searched = withoutGradient { x.linear(weight) }.scalars
            for (got, expected) in zip(searched, reduced.output) { XCTAssertEqual(got, expected, accuracy: 1e-5 * max(1, abs(expected))) }
            weight.withUnsafeMutableScalars { values in for i in values.indices { values[i] *= -1 } }
            let flipped = run()
            for (got, expected) in zip(flipped.output, reduced.output) { XCTAssertEqual(got, -expected, accuracy: 1e-4 * max(1, abs(expected))) }
            let flippedSearch = withoutGradient { x.linear(weight) }.scalars
            for (got, expected) in zip(flippedSearch, reduced.output) { XCTAssertEqual(got, -expected, accuracy: 1e-4 * max(1, abs(expected))) }
        }
    }

    /// `matmul` (soft IDs' probabilities times the embedding, and batched products) and its gradients in bfloat16
    /// stay within bfloat16's error of float32, for a shared and a batched right-hand side, plain and transposed.
    func testMatmulAndItsGradientsFollowFloat32() throws {
        let random = RandomSource(seed: 9)
        for (bShape, transposeB) in [([40, 24], false), ([3, 40, 24], false), ([3, 24, 40], true)] {
            let a = Tensor(shape: [3, 16, 40], scalars: (0..<1920).map { _ in random.nextNormal() }, requiresGradient: true)
            let b = Tensor(shape: bShape, scalars: (0..<bShape.reduce(1, *)).map { _ in random.nextNormal() }, requiresGradient: true)
            let upstream = (0..<1152).map { _ in random.nextNormal() }
            func run() -> [[Float]] {
                a.zeroGradient(); b.zeroGradient()
                let c = a.matmul(b, transposeB: transposeB)
                c.backward(seed: upstream)
                return [c.scalars, a.gradient!, b.gradient!]
            }
            let reference = run()
            try withBFloat16Products {
                for (name, (got, expected)) in zip(["output", "dA", "dB"], zip(run(), reference)) {
                    let scale = expected.map(abs).max()!
                    let worst = zip(got, expected).map { abs($0 - $1) }.max()!
                    XCTAssertLessThan(worst, 0.02 * scale, "\(name), B \(bShape)\(transposeB ? "ᵀ" : ""): worst difference \(worst) against values up to \(scale)")
                    XCTAssertGreaterThan(worst, 0, "\(name): bfloat16 products should differ from float32 somewhere")
                }
            }
        }
    }

    /// A search meets many row counts: past the compiled-product cache's size (which then starts afresh) the
    /// products stay right, and the weights keep one laid-out copy per layout, not one per shape.
    func testManyShapesPastTheCompiledProductCache() throws {
        try withBFloat16Products {
            let random = RandomSource(seed: 8)
            let (k, n) = (24, 40)
            let weight = Tensor(shape: [n, k], scalars: (0..<(n * k)).map { _ in random.nextNormal() })
            for m in 1...300 {
                let x = Tensor(shape: [m, k], scalars: (0..<(m * k)).map { _ in random.nextNormal() })
                let y = withoutGradient { x.linear(weight) }
                for (row, column) in [(0, 0), (m - 1, n - 1), (m / 2, n / 3)] {
                    var exact = 0.0, magnitude = 0.0
                    for l in 0..<k {
                        let product = Double(BFloat16Rounding.widen(BFloat16Rounding.round(x.scalars[row * k + l])))
                            * Double(BFloat16Rounding.widen(BFloat16Rounding.round(weight.scalars[column * k + l])))
                        exact += product
                        magnitude += abs(product)
                    }
                    XCTAssertEqual(Double(y.scalars[row * n + column]), exact, accuracy: 1e-5 * magnitude + 1e-6, "m \(m) at (\(row), \(column))")
                }
            }
            let layouts = try XCTUnwrap(weight.bfloat16Copies).laidOut.count
            XCTAssertLessThanOrEqual(layouts, 4, "one laid-out copy per layout, not per shape")
        }
    }

    /// Runs `body` with bfloat16 products, or skips where this machine lacks oneDNN or the BF16 instructions.
    private func withBFloat16Products(_ body: () throws -> Void) throws {
        do { try MatrixProducts.use(.bfloat16) } catch { throw XCTSkip("bfloat16 products unavailable here: \(error)") }
        // These products are small: in bfloat16 all the same (the engine keeps small ones float32 for speed).
        let smallest = MatrixProducts.smallestBFloat16Product
        MatrixProducts.smallestBFloat16Product = 0
        defer { try? MatrixProducts.use(.float32); MatrixProducts.smallestBFloat16Product = smallest }
        try body()
    }
}
