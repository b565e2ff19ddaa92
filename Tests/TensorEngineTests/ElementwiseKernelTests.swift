import XCTest
@testable import TensorEngine

/// The element-wise passes and row reductions are written for the compiler to vectorise (loops over ranges, sums in
/// eight lanes): their results against plain references, and the same whichever way the work is split into threads.
final class ElementwiseKernelTests: XCTestCase {
    func testLaneReductionsMatchDoubleSums() {
        for count in 0...41 {
            let a = (0..<count).map { Float(sin(Double($0) * 1.7)) * 3 }
            let b = (0..<count).map { Float(cos(Double($0) * 0.9)) - 0.2 }
            let c = (0..<count).map { Float($0 % 5) - 2.5 }
            let dot2 = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let dot3 = (0..<count).reduce(0.0) { $0 + Double(a[$1]) * Double(b[$1]) * Double(c[$1]) }
            XCTAssertEqual(Double(VectorMath.dot(a, b, count: count)), dot2, accuracy: 1e-4, "count \(count)")
            XCTAssertEqual(Double(VectorMath.dot(a, b, c, count: count)), dot3, accuracy: 1e-4, "count \(count)")
            XCTAssertEqual(VectorMath.maximum(a, count: count), a.max() ?? -.infinity, "count \(count)")
        }
        // The largest value wherever it sits: in a lane, in the tail, after minus infinity and NaN.
        var row = [Float](repeating: -.infinity, count: 19)
        for position in row.indices {
            row[position] = 7
            row[(position + 3) % row.count] = .nan
            XCTAssertEqual(VectorMath.maximum(row, count: row.count), 7, "7 at \(position)")
            row[position] = -.infinity
            row[(position + 3) % row.count] = -.infinity
        }
    }

    func testRMSNormGradientWithLanesAndTail() {
        // 19 features: two full lanes of eight and a tail of three.
        assertGradientsMatch([randomTensor([3, 19], seed: 41), randomTensor([19], seed: 42)]) {
            $0[0].rmsNormalized(weight: $0[1], epsilon: 1e-6)
        }
    }

    func testSoftmaxGradientWithLanesAndTail() {
        assertGradientsMatch([randomTensor([3, 19], seed: 53)]) { $0[0].softmax() * $0[0] }
    }

    /// Softmax over many rows split across threads, against double precision: p = exp(x - max) / Σ, and
    /// dx = p ⊙ (g − Σ g ⊙ p).
    func testSoftmaxAcrossThreadsMatchesADoubleReference() {
        let (rows, width) = (600, 131)
        let x = randomTensor([rows, width], seed: 54, scale: 3)
        x.setRequiresGradient(true)
        let seed = (0..<(rows * width)).map { Float(($0 * 5) % 17) / 17 - 0.5 }
        let p = x.softmax()
        p.backward(seed: seed)
        for row in 0..<rows {
            let v = (0..<width).map { Double(x.scalars[row * width + $0]) }, g = (0..<width).map { Double(seed[row * width + $0]) }
            let maximum = v.max()!, total = v.map { Foundation.exp($0 - maximum) }.reduce(0, +)
            let probabilities = v.map { Foundation.exp($0 - maximum) / total }
            let dot = zip(g, probabilities).map { $0 * $1 }.reduce(0, +)
            for j in 0..<width {
                XCTAssertEqual(Double(p.scalars[row * width + j]), probabilities[j], accuracy: 1e-6, "p[\(row), \(j)]")
                XCTAssertEqual(Double(x.gradient![row * width + j]), probabilities[j] * (g[j] - dot), accuracy: 1e-6, "dx[\(row), \(j)]")
            }
        }
    }

    /// Large enough to be split across threads (and across rows, for RMS norm); each op's input used twice, so that
    /// one contribution makes its gradient and the next adds to it.
    func testSplitAcrossThreadsGivesWhatOneThreadGives() {
        func gradients(threads: Int) -> [[Float]] {
            let previous = Parallel.threadCount
            Parallel.setThreadCount(threads)
            defer { Parallel.setThreadCount(previous) }
            let x = randomTensor([1000, 131], seed: 43), y = randomTensor([1000, 131], seed: 44), w = randomTensor([131], seed: 45)
            for t in [x, y, w] { t.setRequiresGradient(true) }
            let random = RandomSource(seed: 46)
            let normalized = x.rmsNormalized(weight: w, epsilon: 1e-6) + x.rmsNormalized(weight: w, epsilon: 1e-6)
            let activated = normalized.reluDropout(rate: 0.2, random: random) * y + x.relu() * 0.5
            let out = Tensor.residual(activated, plusDropout: x.dropout(rate: 0.3, random: random), rate: 0.1, random: random)
            out.backward(seed: (0..<out.count).map { Float($0 % 13) / 13 - 0.4 })
            return [out.scalars, x.gradient!, y.gradient!, w.gradient!]
        }
        let one = gradients(threads: 1), four = gradients(threads: 4)
        for (name, (a, b)) in zip(["output", "dx", "dy", "dw"], zip(one, four)) { XCTAssertEqual(a, b, name) }
    }

    /// RMS norm over many rows split across threads, against the formulas evaluated in double precision here.
    func testRMSNormAcrossThreadsMatchesADoubleReference() {
        let (rows, width) = (700, 100)   // 70,000 values: several chunks of whole rows
        let x = randomTensor([rows, width], seed: 51), w = randomTensor([width], seed: 52)
        for t in [x, w] { t.setRequiresGradient(true) }
        let seed = (0..<(rows * width)).map { Float(($0 * 7) % 11) / 11 - 0.5 }
        let y = x.rmsNormalized(weight: w, epsilon: 1e-6)
        y.backward(seed: seed)
        var dW = [Double](repeating: 0, count: width)
        for row in 0..<rows {
            let v = (0..<width).map { Double(x.scalars[row * width + $0]) }, g = (0..<width).map { Double(seed[row * width + $0]) }
            let r = 1 / ((v.map { $0 * $0 }.reduce(0, +) / Double(width)) + 1e-6).squareRoot()
            let dot = (0..<width).reduce(0.0) { $0 + g[$1] * Double(w.scalars[$1]) * v[$1] }
            for j in 0..<width {
                XCTAssertEqual(Double(y.scalars[row * width + j]), Double(w.scalars[j]) * v[j] * r, accuracy: 1e-4)
                let dx = r * g[j] * Double(w.scalars[j]) - v[j] * r * r * r * dot / Double(width)
                XCTAssertEqual(Double(x.gradient![row * width + j]), dx, accuracy: 1e-4, "dx[\(row), \(j)]")
                dW[j] += g[j] * v[j] * r
            }
        }
        for j in 0..<width { XCTAssertEqual(Double(w.gradient![j]), dW[j], accuracy: 1e-3, "dw[\(j)]") }
    }

    /// ReLU + dropout against the mask drawn on its own: the output is max(x, 0) · kept · scale, and the gradient
    /// passes (scaled) exactly where x > 0 and the value was kept, including at zeros, subnormals and infinities.
    func testReLUDropoutAgainstItsMask() {
        var values = randomTensor([4096], seed: 47).scalars
        values.replaceSubrange(0..<6, with: [0, -0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .infinity, -.infinity])
        let x = Tensor(shape: [4096], scalars: values, requiresGradient: true)
        let kept = DropoutMask(count: 4096, rate: 0.5, random: RandomSource(seed: 48)).kept
        let y = x.reluDropout(rate: 0.5, random: RandomSource(seed: 48))
        y.backward(seed: [Float](repeating: 1, count: x.count))
        for i in 0..<x.count {
            let passes = values[i] > 0 && kept[i] == 1
            XCTAssertEqual(y.scalars[i], passes ? values[i] * 2 : 0, "value \(i)")
            XCTAssertEqual(x.gradient![i], passes ? 2 : 0, "gradient \(i)")
        }
        XCTAssertEqual(kept.count { $0 == 1 }, 2048, accuracy: 150)
    }

    /// The dropout stream is part of a run's reproducibility (a resumed run draws what an uninterrupted one would):
    /// pinned here, over two blocks and a tail of three, to values computed by a separate (Python) implementation of
    /// the scheme: xoshiro256** seeded by SplitMix64, one stream per block of 16,384, four 16-bit draws per word.
    func testDropoutMaskStreamIsPinned() {
        let kept = DropoutMask(count: 16_384 + 7, rate: 0.1, random: RandomSource(seed: 9)).kept
        let checksum = kept.enumerated().reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1.element) &* UInt64($1.offset + 1) }
        XCTAssertEqual(kept.count { $0 == 0 }, 1579)
        XCTAssertEqual(Array(kept.suffix(7)), [1, 1, 1, 1, 0, 1, 1])
        XCTAssertEqual(checksum, 17_239_647_240_922_605_839)
    }

    func testExponentialOfNaNIsNaN() {
        XCTAssertTrue(VectorMath.exp(SIMD8(repeating: .nan))[0].isNaN)
        var row: [Float] = [0, .nan, -1]
        XCTAssertTrue(VectorMath.exponentialSum(row, count: 3, shift: 0).isNaN)
        XCTAssertTrue(VectorMath.exponentiate(&row, count: 3, shift: 0).isNaN)
    }
}
