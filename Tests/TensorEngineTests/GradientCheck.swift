import XCTest
@testable import TensorEngine

/// Checks an op's recorded backward against central finite differences.
///
/// The op's output is reduced to a scalar through fixed random weights (so every output element matters
/// differently), each input element is nudged by ±ε, and the numerical gradient is compared with the
/// analytic one by relative error ‖a − n‖ / ‖n‖. Inputs are float32, so ε and the tolerance are chosen
/// for float32 round-off: ε = 1e-2 with values of order 1, tolerance 1e-2.
func assertGradientsMatch(
    _ inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Double = 1e-2,
    file: StaticString = #filePath, line: UInt = #line,
    _ op: ([Tensor]) -> Tensor
) {
    for input in inputs { input.setRequiresGradient(true); input.zeroGradient() }
    let probe = op(inputs)
    let random = RandomSource(seed: 99)
    let weights = Tensor(shape: probe.shape, scalars: (0..<probe.count).map { _ in random.nextNormal() })
    func objective() -> Double {
        withoutGradient { Double((op(inputs) * weights).sum().item) }
    }
    (op(inputs) * weights).sum().backward()
    for (index, input) in inputs.enumerated() {
        let analytic = input.gradient ?? [Float](repeating: 0, count: input.count)
        var numeric = [Float](repeating: 0, count: input.count)
        for i in 0..<input.count {
            let original = input.scalars[i]
            input.scalars[i] = original + epsilon
            let plus = objective()
            input.scalars[i] = original - epsilon
            let minus = objective()
            input.scalars[i] = original
            numeric[i] = Float((plus - minus) / Double(2 * epsilon))
        }
        var difference = 0.0, reference = 0.0
        for (a, n) in zip(analytic, numeric) { difference += Double(a - n) * Double(a - n); reference += Double(n) * Double(n) }
        let error = (difference / max(reference, 1e-20)).squareRoot()
        XCTAssertLessThan(error, tolerance, "input \(index) \(input.shape): relative gradient error \(error)", file: file, line: line)
        XCTAssertGreaterThan(reference, 0, "input \(index): the numerical gradient is zero, the check proves nothing", file: file, line: line)
    }
}

func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    Tensor.normal(shape: shape, standardDeviation: scale, random: RandomSource(seed: seed))
}
