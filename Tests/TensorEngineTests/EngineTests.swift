import Foundation
import XCTest
@testable import TensorEngine

final class EngineTests: XCTestCase {
    func testForwardValuesAgainstHandComputedResults() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
        XCTAssertEqual(a.matmul(b).scalars, [19, 22, 43, 50])
        XCTAssertEqual(a.linear(b).scalars, [17, 23, 39, 53])
        XCTAssertEqual(a.transposedLastTwo().scalars, [1, 3, 2, 4])
        let p = Tensor(shape: [1, 3], scalars: [0, 0, 0]).softmax(mask: [true, false, true]).scalars
        XCTAssertEqual(p, [0.5, 0, 0.5])
        let loss = Tensor(shape: [2, 2], scalars: [0, 0, 0, 0]).crossEntropy(targets: [1, -100]).item
        XCTAssertEqual(loss, log(2), accuracy: 1e-6)
    }

    func testGradientsAccumulateThroughSharedInputs() {
        let x = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        ((x * x) + x).sum().backward()
        XCTAssertEqual(x.gradient, [3, 5])
        // Leaves keep accumulating until cleared.
        (x * 2).sum().backward()
        XCTAssertEqual(x.gradient, [5, 7])
    }

    func testNothingIsRecordedWithoutGradient() {
        let x = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let y = withoutGradient { x * 3 }
        XCTAssertFalse(y.requiresGradient)
    }

    func testAdamWMatchesTheReferenceUpdate() {
        // One step of torch.optim.AdamW(lr=0.1, weight_decay=0.01) from p=1, g=0.5: p = 1·(1 − 0.001) − 0.1·1 = 0.899.
        let p = Tensor(shape: [1], scalars: [1], requiresGradient: true)
        (p * 0.5).sum().backward()
        let optimizer = AdamW(parameters: [p], learningRate: 0.1)
        optimizer.update()
        XCTAssertEqual(p.scalars[0], 0.899, accuracy: 1e-6)
    }

    func testClippingScalesToTheMaximumNorm() {
        let p = Tensor(shape: [2], scalars: [0, 0], requiresGradient: true)
        (p * Tensor(shape: [2], scalars: [3, 4])).sum().backward()
        XCTAssertEqual(clipGradientNorm([p], maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(p.gradient![0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(p.gradient![1], 0.8, accuracy: 1e-5)
    }

    func testLinearScheduleWarmsUpThenDecays() {
        let schedule = LinearSchedule(peakLearningRate: 1, warmupSteps: 10, totalSteps: 110)
        XCTAssertEqual(schedule.learningRate(at: 0), 0)
        XCTAssertEqual(schedule.learningRate(at: 5), 0.5)
        XCTAssertEqual(schedule.learningRate(at: 10), 1)
        XCTAssertEqual(schedule.learningRate(at: 60), 0.5)
        XCTAssertEqual(schedule.learningRate(at: 200), 0)
    }

    func testSeededRandomIsReproducible() {
        let a = Tensor.normal(shape: [5], standardDeviation: 1, random: RandomSource(seed: 7))
        let b = Tensor.normal(shape: [5], standardDeviation: 1, random: RandomSource(seed: 7))
        XCTAssertEqual(a.scalars, b.scalars)
        let many = Tensor.normal(shape: [20_000], standardDeviation: 2, random: RandomSource(seed: 1)).scalars
        let mean = many.reduce(0, +) / Float(many.count)
        let variance = many.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(many.count)
        XCTAssertEqual(mean, 0, accuracy: 0.05)
        XCTAssertEqual(variance.squareRoot(), 2, accuracy: 0.05)
    }

    func testDropoutDropsItsRateTheSameWayOnAnyThreadCountAndTheFusedOpsMatchTheirParts() {
        let x = Tensor.normal(shape: [300_001], standardDeviation: 1, random: RandomSource(seed: 3))
        let y = Tensor.normal(shape: [300_001], standardDeviation: 1, random: RandomSource(seed: 4))
        let dropped = x.dropout(rate: 0.1, random: RandomSource(seed: 9)).scalars
        let zeros = dropped.filter { $0 == 0 }.count
        XCTAssertEqual(Double(zeros) / Double(x.count), 0.1, accuracy: 0.003)
        // Kept values scaled by 1/(1 - rate), the rate taken to its 1/65,536 grain (0.1 is drawn as 6,554/65,536).
        for (kept, original) in zip(dropped, x.scalars) where kept != 0 { XCTAssertEqual(kept / original, 65_536 / 58_982, accuracy: 1e-6) }

        let threads = Parallel.threadCount
        defer { Parallel.setThreadCount(threads) }
        Parallel.setThreadCount(1)
        XCTAssertEqual(x.dropout(rate: 0.1, random: RandomSource(seed: 9)).scalars, dropped)
        Parallel.setThreadCount(3)
        XCTAssertEqual(x.dropout(rate: 0.1, random: RandomSource(seed: 9)).scalars, dropped)

        XCTAssertEqual(x.reluDropout(rate: 0.1, random: RandomSource(seed: 9)).scalars,
                       x.relu().dropout(rate: 0.1, random: RandomSource(seed: 9)).scalars)
        XCTAssertEqual(Tensor.residual(x, plusDropout: y, rate: 0.1, random: RandomSource(seed: 9)).scalars,
                       (x + y.dropout(rate: 0.1, random: RandomSource(seed: 9))).scalars)
    }

    /// A process computing rows of a larger batch (data-parallel training) drops exactly the values one process
    /// computing the whole batch drops in those rows, wherever the share starts inside a mask's block.
    func testADropoutShareIsTheWholeBatchsMaskCutToItsRows() {
        let (rows, perRow) = (7, 5_003)   // rows that do not start on a block or a 4-value group
        let x = Tensor.normal(shape: [rows, perRow], standardDeviation: 1, random: RandomSource(seed: 3))
        let whole = x.dropout(rate: 0.3, random: RandomSource(seed: 9)).scalars
        for share in [0..<3, 3..<4, 4..<7, 1..<6] {
            let random = RandomSource(seed: 9)
            random.batchShare = (share, rows)
            let part = Tensor(shape: [share.count, perRow], scalars: Array(x.scalars[share.lowerBound * perRow..<share.upperBound * perRow]))
            XCTAssertEqual(part.dropout(rate: 0.3, random: random).scalars, Array(whole[share.lowerBound * perRow..<share.upperBound * perRow]), "\(share)")
        }
    }

    func testVectorExponentialStaysWithinTwoULPOfLibm() {
        var worst: Float = 0
        for step in 0...20_000 {
            let x = -87 * Float(step) / 20_000
            let fast = VectorMath.exp(SIMD8(repeating: x))[0], exact = Foundation.exp(x)
            worst = max(worst, abs(fast - exact) / exact.ulp)
        }
        XCTAssertLessThanOrEqual(worst, 2)
        XCTAssertEqual(VectorMath.exp(SIMD8(repeating: -.infinity))[0], 0)
        var row: [Float] = [0, -1, -.infinity, 2, -3, 0.5, -0.25, 1, -2, 4, -.infinity]
        let sum = VectorMath.exponentiate(&row, count: row.count, shift: 4)
        XCTAssertEqual(sum, row.reduce(0, +), accuracy: 1e-6)
        XCTAssertEqual(row[2], 0)
        XCTAssertEqual(row[9], 1)
    }

    /// Rows that share keys and values (the beams of one input while decoding) are attended in one product per run
    /// of rows and head; the result is what attending each row over its own copy of the keys gives.
    func testSharedKeysAttentionMatchesAttendingEachRowAlone() {
        let (rows, inputs, keys, heads, headWidth) = (5, 2, 7, 2, 4)
        let width = heads * headWidth
        let random = RandomSource(seed: 11)
        let query = Tensor.normal(shape: [rows, 1, width], standardDeviation: 1, random: random).scalars
        let key = Tensor.normal(shape: [inputs, keys, width], standardDeviation: 1, random: random).scalars
        let value = Tensor.normal(shape: [inputs, keys, width], standardDeviation: 1, random: random).scalars
        let rowInput = [0, 0, 0, 1, 1]
        let padding = [true, true, true, true, true, false, false, true, true, true, true, true, true, true]
        func attend(keys k: [Float], values v: [Float], padding: [Bool], rowInput: [Int]?) -> [Float] {
            let geometry = AttentionGeometry(batch: rows, queryLength: 1, keyLength: keys, heads: heads, headWidth: headWidth, keyValueRow: rowInput)
            var probabilities = [Float](repeating: 0, count: rows * heads * keys), out = [Float](repeating: 0, count: rows * width)
            Attention.forward(query: query, key: k, value: v, bias: nil, mask: AttentionMask(keyPadding: padding), geometry: geometry,
                              probabilities: &probabilities, output: &out)
            return out
        }
        let shared = attend(keys: key, values: value, padding: padding, rowInput: rowInput)
        let perRow = { (x: [Float]) in rowInput.flatMap { x[($0 * keys * width)..<(($0 + 1) * keys * width)] } }
        let alone = attend(keys: perRow(key), values: perRow(value),
                           padding: rowInput.flatMap { padding[($0 * keys)..<(($0 + 1) * keys)] }, rowInput: nil)
        for (a, b) in zip(shared, alone) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testBLASReportsItsKernels() {
        XCTAssertFalse(BLAS.shared.description.isEmpty, BLAS.summary)
        XCTAssertTrue(BLAS.summary.contains("engine threads"))
    }
}

final class OpProfileTests: XCTestCase {
    func testOpsAreTimedForwardAndBackwardOnlyWhenOn() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6], requiresGradient: true)
        let b = Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1], requiresGradient: true)
        OpProfile.isOn = true
        OpProfile.reset()
        a.matmul(b).sum().backward()
        OpProfile.measure("update") {}
        OpProfile.isOn = false
        let report = Dictionary(uniqueKeysWithValues: OpProfile.report.map { ($0.op, $0) })
        XCTAssertEqual(report["matmul(_:transposeB:)"]?.calls, 1, "\(report.keys)")
        XCTAssertGreaterThan(report["matmul(_:transposeB:)"]?.backwardSeconds ?? 0, 0)
        XCTAssertEqual(report["update"]?.calls, 1)
        // Off, nothing is counted.
        OpProfile.reset()
        _ = a.matmul(b)
        XCTAssertTrue(OpProfile.report.isEmpty)
    }
}
