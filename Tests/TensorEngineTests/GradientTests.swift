import XCTest
@testable import TensorEngine

/// Every differentiable op's backward against finite differences.
final class GradientTests: XCTestCase {
    func testAddAndMultiply() {
        assertGradientsMatch([randomTensor([3, 4], seed: 1), randomTensor([3, 4], seed: 2)]) { $0[0] + $0[1] }
        assertGradientsMatch([randomTensor([3, 4], seed: 3), randomTensor([3, 4], seed: 4)]) { $0[0] * $0[1] }
        assertGradientsMatch([randomTensor([5], seed: 5)]) { $0[0] * 0.37 }
    }

    func testScaledPerChannel() {
        assertGradientsMatch([randomTensor([2, 3, 4], seed: 31), randomTensor([4], seed: 32)]) { $0[0].scaledPerChannel($0[1]) }
        // The scale used twice (as β ⊙ β): both contributions reach it.
        assertGradientsMatch([randomTensor([3, 5], seed: 33), randomTensor([5], seed: 34)]) { $0[0].scaledPerChannel($0[1] * $0[1]) }
    }

    func testActivations() {
        // Values away from ReLU's kink, where the finite difference is undefined.
        let x = Tensor(shape: [2, 5], scalars: [-1.3, -0.4, 0.3, 0.9, 2.1, -2.2, 0.6, -0.7, 1.4, 0.2])
        assertGradientsMatch([x]) { $0[0].relu() }
        assertGradientsMatch([randomTensor([2, 6], seed: 6, scale: 2)]) { $0[0].geluTanh() }
    }

    func testDropoutWithFixedMask() {
        assertGradientsMatch([randomTensor([4, 8], seed: 7)]) { $0[0].dropout(rate: 0.3, random: RandomSource(seed: 5)) }
        let x = Tensor(shape: [2, 5], scalars: [-1.3, -0.4, 0.3, 0.9, 2.1, -2.2, 0.6, -0.7, 1.4, 0.2])
        assertGradientsMatch([x]) { $0[0].reluDropout(rate: 0.3, random: RandomSource(seed: 5)) }
        assertGradientsMatch([randomTensor([4, 8], seed: 21), randomTensor([4, 8], seed: 22)]) {
            Tensor.residual($0[0], plusDropout: $0[1], rate: 0.3, random: RandomSource(seed: 5))
        }
    }

    func testReductions() {
        assertGradientsMatch([randomTensor([3, 3], seed: 8)]) { $0[0].sum() }
        assertGradientsMatch([randomTensor([3, 3], seed: 9)]) { $0[0].mean() }
    }

    func testLinear() {
        assertGradientsMatch([randomTensor([2, 3, 4], seed: 10), randomTensor([5, 4], seed: 11)]) { $0[0].linear($0[1]) }
        // Used twice: the first contribution makes the gradients (β = 0), the second adds to them.
        assertGradientsMatch([randomTensor([2, 3, 4], seed: 23), randomTensor([5, 4], seed: 24)]) { $0[0].linear($0[1]) + $0[0].linear($0[1]) }
    }

    func testMatmulVariants() {
        assertGradientsMatch([randomTensor([3, 4], seed: 12), randomTensor([4, 2], seed: 13)]) { $0[0].matmul($0[1]) }
        assertGradientsMatch([randomTensor([2, 3, 4], seed: 14), randomTensor([2, 4, 5], seed: 15)]) { $0[0].matmul($0[1]) }
        assertGradientsMatch([randomTensor([2, 3, 4], seed: 16), randomTensor([2, 5, 4], seed: 17)]) { $0[0].matmul($0[1], transposeB: true) }
        assertGradientsMatch([randomTensor([2, 3, 4], seed: 18), randomTensor([5, 4], seed: 19)]) { $0[0].matmul($0[1], transposeB: true) }
    }

    func testGatherRowsWithRepeatedIDs() {
        assertGradientsMatch([randomTensor([6, 3], seed: 20)]) { $0[0].gatherRows([1, 4, 1, 0, 5, 1], shape: [2, 3]) }
    }

    func testMovement() {
        assertGradientsMatch([randomTensor([2, 3, 4], seed: 21)]) { $0[0].reshaped([6, -1]) }
        assertGradientsMatch([randomTensor([2, 3, 4], seed: 22)]) { $0[0].transposedLastTwo() }
        assertGradientsMatch([randomTensor([2, 5, 3], seed: 23)]) { $0[0].sliced(axis: 1, 1..<4) }
        assertGradientsMatch([randomTensor([2, 2, 3], seed: 24), randomTensor([2, 1, 3], seed: 25)]) {
            Tensor.concatenate([$0[0], $0[1]], axis: 1)
        }
    }

    func testSoftmaxFamilyWithMask() {
        let mask = [true, false, true, true, true, false, true, true]
        assertGradientsMatch([randomTensor([2, 4], seed: 26)]) { $0[0].softmax() }
        assertGradientsMatch([randomTensor([2, 4], seed: 27)]) { $0[0].softmax(mask: mask) }
        assertGradientsMatch([randomTensor([2, 4], seed: 28)]) { $0[0].logSoftmax() }
        // The -inf of masked entries would poison the weighted sum: check the unmasked columns (2 and 3).
        assertGradientsMatch([randomTensor([2, 4], seed: 29)]) { $0[0].logSoftmax(mask: mask).sliced(axis: 1, 2..<4) }
    }

    func testCrossEntropyIgnoresPadding() {
        assertGradientsMatch([randomTensor([4, 6], seed: 30)]) { $0[0].crossEntropy(targets: [2, -100, 5, 0]) }
    }

    func testRMSNorm() {
        assertGradientsMatch([randomTensor([3, 5], seed: 31), randomTensor([5], seed: 32)]) {
            $0[0].rmsNormalized(weight: $0[1], epsilon: 1e-6)
        }
    }

    func testLayerNorm() {
        assertGradientsMatch([randomTensor([4, 6], seed: 33), randomTensor([6], seed: 34), randomTensor([6], seed: 35)]) {
            $0[0].layerNormalized(weight: $0[1], bias: $0[2], epsilon: 1e-5)
        }
    }

    func testAttentionWithBiasPaddingAndCausalMask() {
        let (batch, tq, tk, heads, dh) = (2, 3, 4, 2, 3)
        let padding = [true, true, true, false, true, true, true, true]
        let inputs = [randomTensor([batch, tq, heads * dh], seed: 33), randomTensor([batch, tk, heads * dh], seed: 34),
                      randomTensor([batch, tk, heads * dh], seed: 35), randomTensor([heads, tq, tk], seed: 36)]
        assertGradientsMatch(inputs) {
            Tensor.attention(query: $0[0], key: $0[1], value: $0[2], heads: heads, bias: $0[3], mask: AttentionMask(keyPadding: padding))
        }
        assertGradientsMatch(inputs) {
            Tensor.attention(query: $0[0], key: $0[1], value: $0[2], heads: heads, bias: $0[3], mask: AttentionMask(causal: true))
        }
        assertGradientsMatch(inputs) {
            Tensor.attention(query: $0[0], key: $0[1], value: $0[2], heads: heads, bias: $0[3], mask: AttentionMask(keyPadding: padding),
                             dropoutRate: 0.25, random: RandomSource(seed: 3))
        }
    }
}

/// The ops of a learned gate's mixture: σ, log, and sums over the last dimension.
final class GateOpGradientTests: XCTestCase {
    func testSigmoidLogAndLastAxisSum() {
        assertGradientsMatch([randomTensor([2, 5], seed: 41, scale: 2)]) { $0[0].sigmoid() }
        let probabilities = Tensor(shape: [2, 3], scalars: [0.2, 0.5, 0.9, 1.4, 0.7, 0.35])
        assertGradientsMatch([probabilities], epsilon: 1e-3) { $0[0].log() }
        assertGradientsMatch([randomTensor([2, 3, 4], seed: 42)]) { $0[0].sumLastAxis() }
    }

    func testSigmoidAndLogStayFiniteAtTheExtremes() {
        let gate = Tensor(shape: [4], scalars: [-200, -30, 0, 200]).sigmoid().scalars
        XCTAssertEqual(gate[2], 0.5)
        XCTAssertEqual(gate[0], 0); XCTAssertEqual(gate[3], 1)
        XCTAssertGreaterThan(gate[1], 0, "σ(-30) is tiny, not 0")
        let logarithm = Tensor(shape: [2], scalars: [0, 1]).log().scalars
        XCTAssertTrue(logarithm[0].isFinite && logarithm[0] < -80, "log(0) reads as log of the smallest normal float")
        XCTAssertEqual(logarithm[1], 0)
    }
}
