import XCTest
@testable import IDGenRec
import NN
import T5
import TensorEngine

/// The ID phase's path from generator weights to recommender loss, against finite differences.
final class SoftIDsTests: XCTestCase {
    func testRecommenderLossGradientReachesTheGeneratorExactly() throws {
        let configuration = T5Configuration(vocabularySize: 12, modelWidth: 8, headWidth: 4, feedForwardWidth: 16, encoderLayers: 1,
                                            heads: 2, relativeAttentionBuckets: 4, relativeAttentionMaxDistance: 8, dropoutRate: 0)
        let generator = try T5Model(configuration: configuration, seed: 1)
        let recommender = try T5Model(configuration: configuration, seed: 2)
        recommender.parameters.forEach { $0.setRequiresGradient(false) }
        let texts: [[Int32]] = [[3, 4, 1], [5, 6, 7, 1]], idTokens: [[Int32]] = [[8, 9], [10]]

        func loss() -> Tensor {
            let (rows, width) = SoftIDs.embeddings(generator: generator, texts: texts, idTokens: idTokens, embedding: recommender.shared.weight)
            // Item 0's ID (two soft rows) ; item 1's ID (one soft row), then eos — as the ID phase builds inputs.
            let v = Int32(configuration.vocabularySize)
            let indices: [[Int32]] = [[v + 0, v + 1, 11, v + Int32(width), 1]]
            let (embeddings, mask) = SoftIDs.sourceEmbeddings(embedding: recommender.shared.weight, softRows: rows, indices: indices, padTokenID: 0)
            return recommender.loss(encoderStates: recommender.encode(embeddings: embeddings, attentionMask: mask), encoderMask: mask,
                                    targets: [[9, 8, 1]])
        }
        let weight = generator.decoder.blocks[0].feedForward.wo.weight
        generator.zeroGradients()
        loss().backward()
        let analytic = try XCTUnwrap(weight.gradient)
        XCTAssertNil(recommender.shared.weight.gradient, "the frozen recommender must receive no gradient")
        let epsilon: Float = 1e-2
        var numeric = [Float](repeating: 0, count: weight.count)
        for i in 0..<weight.count {
            let original = weight.scalars[i]
            var values = weight.scalars
            values[i] = original + epsilon; weight.assign(values)
            let plus = withoutGradient { loss().item }
            values[i] = original - epsilon; weight.assign(values)
            let minus = withoutGradient { loss().item }
            values[i] = original; weight.assign(values)
            numeric[i] = (plus - minus) / (2 * epsilon)
        }
        var difference: Float = 0, norm: Float = 0
        for (a, n) in zip(analytic, numeric) { difference += (a - n) * (a - n); norm += n * n }
        XCTAssertGreaterThan(norm, 0)
        XCTAssertLessThan((difference / norm).squareRoot(), 2e-2)
    }
}
