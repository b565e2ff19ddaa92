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

    func testReLUDropoutBackwardPassesExactlyWhereTheOutputIsPositive() {
        let x = randomTensor([4096], seed: 47)
        x.setRequiresGradient(true)
        let y = x.reluDropout(rate: 0.5, random: RandomSource(seed: 48))
        y.backward(seed: [Float](repeating: 1, count: x.count))
        let kept = y.scalars.filter { $0 > 0 }.count
        XCTAssertGreaterThan(kept, 700)   // about a quarter: positive and kept
        XCTAssertLessThan(kept, 1350)
        for i in 0..<x.count { XCTAssertEqual(x.gradient![i], y.scalars[i] > 0 ? 2 : 0, "value \(i)") }
    }
}
