import Foundation
import XCTest
import NN
@testable import T5
@testable import TensorEngine

/// The learned copy gate: its gradient, decoding that scores exactly what training learns, and a copy it learns.
final class T5CopyGateTests: XCTestCase {
    private static let tiny = T5Configuration(vocabularySize: 40, modelWidth: 16, headWidth: 4, feedForwardWidth: 32, encoderLayers: 2,
                                              heads: 4, relativeAttentionBuckets: 8, relativeAttentionMaxDistance: 16, dropoutRate: 0)

    // Ragged sources (padding in the batch) and targets (an ignored label), some target tokens in their source.
    private let sources: [[Int32]] = [[5, 9, 13, 22, 1], [7, 30, 1], [11, 4, 6, 4, 8, 1]]
    private let targets: [[Int32]] = [[9, 22, 1], [30, 12, 7, 1], [4, 1]]

    /// The mixture's loss against central finite differences, for the gate's weights (its continuation bias included)
    /// and for weights of the T5 it reads (the decoder's final norm, the encoder's first query).
    func testTheMixtureLossGradientByFiniteDifferences() throws {
        let model = try T5Model(configuration: Self.tiny, seed: 3)
        let gate = T5CopyGate(modelWidth: Self.tiny.modelWidth, continuation: true, seed: 4)
        gate.continuation!.weight.scalars = [-0.2, 0.7]
        let batch = T5Batch(sources: sources, targets: targets, padTokenID: 0)
        let checked = [gate.query.weight, gate.gate.weight, gate.continuation!.weight, model.decoder.finalLayerNorm.weight,
                       model.encoder.blocks[0].selfAttention.q.weight]
        (model.parameters + gate.parameters).forEach { $0.zeroGradient() }
        gate.loss(of: model, on: batch).backward()
        for parameter in checked {
            let analytic = parameter.gradient!
            var difference = 0.0, reference = 0.0
            // Every element of the small tensors, a spread of the larger ones.
            for i in Swift.stride(from: 0, to: parameter.count, by: max(1, parameter.count / 48)) {
                let original = parameter.scalars[i], epsilon: Float = 1e-2
                parameter.scalars[i] = original + epsilon
                let plus = Double(withoutGradient { gate.loss(of: model, on: batch).item })
                parameter.scalars[i] = original - epsilon
                let minus = Double(withoutGradient { gate.loss(of: model, on: batch).item })
                parameter.scalars[i] = original
                let numeric = (plus - minus) / Double(2 * epsilon)
                difference += (Double(analytic[i]) - numeric) * (Double(analytic[i]) - numeric)
                reference += numeric * numeric
            }
            XCTAssertGreaterThan(reference, 0, "\(parameter.shape): the numerical gradient is zero, the check proves nothing")
            XCTAssertLessThan((difference / reference).squareRoot(), 1e-2, "\(parameter.shape)")
        }
    }

    /// Beam search's scores through the gate are the trained mixture's log-probabilities: teacher-forced step by
    /// step, through cache reorders, their log-softmax at each target token sums to minus the loss; with and without
    /// continuation.
    func testDecodingScoresAreTheMixtureTrainingLearns() throws {
        let model = try T5Model(configuration: Self.tiny, seed: 5)
        let vocabulary = Self.tiny.vocabularySize
        for continuing in [false, true] {
        let gate = T5CopyGate(modelWidth: Self.tiny.modelWidth, continuation: continuing, seed: 6)
        gate.continuation?.weight.scalars = [0.5, 3]
        for (source, target) in zip(sources, targets) {
            let expected = withoutGradient { gate.loss(of: model, on: T5Batch(sources: [source], targets: [target], padTokenID: 0)).item }
            let decoder = try T5IncrementalDecoder(model: model, inputs: [source], rowsPerInput: 2, copyGate: gate)
            var tokens = [Int32](repeating: Self.tiny.decoderStartTokenID, count: 2), total = 0.0
            for token in target {
                let scores = try decoder.step(tokens)
                let first = Array(scores[0..<vocabulary]), second = Array(scores[vocabulary..<(2 * vocabulary)])
                XCTAssertEqual(first, second, "two rows of one input score alike")
                let peak = first.max()!, logSum = Double(peak) + log(first.reduce(0.0) { $0 + exp(Double($1 - peak)) })
                total += Double(first[Int(token)]) - logSum
                decoder.selectRows([1, 0])
                tokens = [token, token]
            }
            XCTAssertEqual(-total / Double(target.count), Double(expected), accuracy: 1e-4, "source \(source), continuation \(continuing)")
        }
        }
    }

    /// What continuation is for: the answer is two neighbouring input tokens from a random place among random ones.
    /// Given its first token, a gate with continuation learns to copy the second (the token after it); without, it
    /// does worse in as many steps.
    func testAGateWithContinuationLearnsToCopyTheNextToken() throws {
        let random = RandomSource(seed: 13)
        func examples(count: Int) -> (sources: [[Int32]], targets: [[Int32]]) {
            var sources: [[Int32]] = [], targets: [[Int32]] = []
            for _ in 0..<count {
                var tokens: [Int32] = []
                while tokens.count < 6 { let token = 3 + Int32(random.next() % 37); if !tokens.contains(token) { tokens.append(token) } }
                let start = Int(random.next() % 5)
                sources.append(tokens + [1]); targets.append([tokens[start], tokens[start + 1], 1])
            }
            return (sources, targets)
        }
        let unseen = examples(count: 40)
        func accuracy(continuation: Bool) throws -> (share: Double, lift: Float) {
            let model = try T5Model(configuration: Self.tiny, seed: 7)
            let gate = T5CopyGate(modelWidth: Self.tiny.modelWidth, continuation: continuation, seed: 8)
            let parameters = model.parameters + gate.parameters
            let optimizer = AdamW(parameters: parameters, learningRate: 1e-2, weightDecay: 0)
            for _ in 0..<150 {
                let training = examples(count: 32)
                let batch = T5Batch(sources: training.sources, targets: training.targets, padTokenID: 0)
                parameters.forEach { $0.zeroGradient() }
                gate.loss(of: model, on: batch).backward()
                clipGradientNorm(parameters, maxNorm: 1)
                optimizer.update()
            }
            // The second token, teacher-forced after the first.
            let decoder = try T5IncrementalDecoder(model: model, inputs: unseen.sources, rowsPerInput: 1, copyGate: gate)
            _ = try decoder.step([Int32](repeating: Self.tiny.decoderStartTokenID, count: unseen.sources.count))
            let scores = try decoder.step(unseen.targets.map { $0[0] })
            let vocabulary = Self.tiny.vocabularySize
            let right = unseen.targets.indices.filter { row in
                let rowScores = Array(scores[row * vocabulary..<(row + 1) * vocabulary])
                return Int32(rowScores.indices.max { rowScores[$0] < rowScores[$1] }!) == unseen.targets[row][1]
            }
            let lift = gate.continuation.map { $0.weight.scalars[1] - $0.weight.scalars[0] } ?? 0
            return (Double(right.count) / Double(unseen.targets.count), lift)
        }
        let continuing = try accuracy(continuation: true), blind = try accuracy(continuation: false)
        XCTAssertGreaterThanOrEqual(continuing.share, 0.9, "with continuation (without: \(blind.share))")
        XCTAssertGreaterThan(continuing.lift, 1, "the learned preference for the continuing position")
        XCTAssertLessThanOrEqual(blind.share, continuing.share - 0.2, "without continuation")
    }

    /// What the gate is for: a tiny model trained to answer with its input's second token (fresh examples every
    /// step) gets it right for tokens it never saw as an answer when it may copy (the vocabulary's head never learned
    /// to write them), and not when it may only generate.
    func testItLearnsToCopyTokensItNeverWrote() throws {
        let random = RandomSource(seed: 11)
        func examples(_ tokens: Range<Int32>, count: Int) -> (sources: [[Int32]], targets: [[Int32]]) {
            let sources = (0..<count).map { _ in (0..<3).map { _ in tokens.lowerBound + Int32(random.next() % UInt64(tokens.count)) } + [1] }
            return (sources, sources.map { [$0[1], 1] })
        }
        let unseen = examples(30..<40, count: 20)
        func accuracy(copying: Bool) throws -> Double {
            let model = try T5Model(configuration: Self.tiny, seed: 7)
            let gate = T5CopyGate(modelWidth: Self.tiny.modelWidth, seed: 8)
            let parameters = model.parameters + (copying ? gate.parameters : [])
            let optimizer = AdamW(parameters: parameters, learningRate: 1e-2, weightDecay: 0)
            for _ in 0..<500 {
                // A fresh batch each step: no answer can be memorised, only the rule.
                let training = examples(3..<30, count: 32)
                let batch = T5Batch(sources: training.sources, targets: training.targets, padTokenID: 0)
                parameters.forEach { $0.zeroGradient() }
                (copying ? gate.loss(of: model, on: batch) : model(batch).loss).backward()
                clipGradientNorm(parameters, maxNorm: 1)
                optimizer.update()
            }
            let decoder = try T5IncrementalDecoder(model: model, inputs: unseen.sources, rowsPerInput: 1, copyGate: copying ? gate : nil)
            let scores = try decoder.step([Int32](repeating: Self.tiny.decoderStartTokenID, count: unseen.sources.count))
            let vocabulary = Self.tiny.vocabularySize
            let right = unseen.targets.indices.filter { row in
                let rowScores = Array(scores[row * vocabulary..<(row + 1) * vocabulary])
                return Int32(rowScores.indices.max { rowScores[$0] < rowScores[$1] }!) == unseen.targets[row][0]
            }
            return Double(right.count) / Double(unseen.targets.count)
        }
        let copied = try accuracy(copying: true), generated = try accuracy(copying: false)
        XCTAssertGreaterThanOrEqual(copied, 0.75, "with the gate (without: \(generated))")
        XCTAssertLessThanOrEqual(generated, 0.2, "without the gate")
    }
}
