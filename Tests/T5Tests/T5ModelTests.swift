import Foundation
import XCTest
import NN
@testable import T5
@testable import TensorEngine

final class T5ModelTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("t5-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private static let tiny = T5Configuration(vocabularySize: 40, modelWidth: 16, headWidth: 4, feedForwardWidth: 32, encoderLayers: 2,
                                              heads: 4, relativeAttentionBuckets: 8, relativeAttentionMaxDistance: 16, dropoutRate: 0)

    /// Cached one-token-at-a-time decoding gives the logits of the teacher-forced pass, through beam reorders.
    func testIncrementalDecodingMatchesTeacherForcing() throws {
        for name in ["t5_v1_0", "t5_v1_1"] {
            let fixture = try T5Fixture(name)
            let model = try T5Model.load(from: fixture.directory)
            let inputs = fixture.unpaddedInputs
            let targets: [[Int32]] = [[5, 9, 13, 1], [7, 7, 21, 1], [11, 4, 6, 1]]
            let batch = T5Batch(sources: inputs, targets: targets, padTokenID: 0)
            let full = withoutGradient { model(batch).logits }                                // (B, T, V)
            let vocabulary = model.configuration.vocabularySize
            let decoder = try T5IncrementalDecoder(model: model, inputs: inputs, rowsPerInput: 2)
            // Rows 2b and 2b+1 decode input b; swapping them each step exercises the cache reorder.
            var tokens = [Int32](repeating: 0, count: 6)
            for t in 0..<4 {
                let logits = try decoder.step(tokens)
                for row in 0..<6 {
                    let b = decoder.rowInput[row]
                    let expected = Array(full.scalars[((b * 4) + t) * vocabulary..<((b * 4) + t + 1) * vocabulary])
                    assertClose(Array(logits[row * vocabulary..<(row + 1) * vocabulary]), expected, within: 1e-4, "\(name) step \(t) row \(row)")
                }
                decoder.selectRows([1, 0, 3, 2, 5, 4])
                tokens = (0..<6).map { targets[decoder.rowInput[$0]][t] }
            }
        }
    }

    func testCheckpointRoundTripGivesIdenticalOutputs() throws {
        for tie in [true, false] {
            var configuration = Self.tiny
            configuration.tieWordEmbeddings = tie
            configuration.feedForwardProjection = tie ? "relu" : "gated-gelu"
            let model = try T5Model(configuration: configuration, seed: 3)
            try model.save(to: directory)
            let loaded = try T5Model.load(from: directory)
            XCTAssertEqual(loaded.configuration, model.configuration)
            let batch = T5Batch(sources: [[3, 4, 5, 1]], targets: [[6, 7, 1]], padTokenID: 0)
            let (a, b) = withoutGradient { (model(batch).logits.scalars, loaded(batch).logits.scalars) }
            XCTAssertEqual(a, b)
        }
    }

    func testCorruptCheckpointsAreClearErrors() throws {
        let model = try T5Model(configuration: Self.tiny, seed: 1)
        try model.save(to: directory)
        let weights = directory.appendingPathComponent("model.safetensors")
        let whole = try Data(contentsOf: weights)
        try whole.prefix(whole.count / 2).write(to: weights)
        XCTAssertThrowsError(try T5Model.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("model.safetensors"), "\(error)")
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }

        // Weights from another shape of model.
        try model.save(to: directory)
        var other = Self.tiny
        other.modelWidth = 8
        try Data(other.transformersJSON().utf8).write(to: directory.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try T5Model.load(from: directory)) { XCTAssertTrue("\($0)".contains("has shape"), "\($0)") }

        // A config.json that is not one, and a hostile size.
        try Data("{\"d_model\": 4}".utf8).write(to: directory.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try T5Model.load(from: directory)) { XCTAssertTrue("\($0)".contains("config.json"), "\($0)") }
        var hostile = Self.tiny
        hostile.vocabularySize = 1 << 40
        try Data(hostile.transformersJSON().utf8).write(to: directory.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try T5Model.load(from: directory)) { XCTAssertTrue("\($0)".contains("vocab_size"), "\($0)") }
    }

    /// Training really works: a tiny model learns to map a handful of sources to their targets.
    func testTinyModelOverfitsAHandfulOfSequences() throws {
        let model = try T5Model(configuration: Self.tiny, seed: 7)
        let sources: [[Int32]] = [[3, 4, 5, 1], [6, 7, 1], [8, 9, 10, 11, 1], [12, 13, 1]]
        let targets: [[Int32]] = [[20, 21, 1], [22, 1], [23, 24, 25, 1], [26, 20, 1]]
        let batch = T5Batch(sources: sources, targets: targets, padTokenID: 0)
        let optimizer = AdamW(parameters: model.parameters, learningRate: 1e-2, weightDecay: 0)
        model.dropout.isTraining = true
        var first: Float = 0, last: Float = 0
        for step in 0..<150 {
            model.zeroGradients()
            let loss = model(batch).loss
            loss.backward()
            clipGradientNorm(model.parameters, maxNorm: 1)
            optimizer.update()
            if step == 0 { first = loss.item }
            last = loss.item
        }
        XCTAssertGreaterThan(first, 3)
        XCTAssertLessThan(last, 0.05, "loss went from \(first) to \(last)")
    }

    /// The bfloat16 option's tolerance on a whole model: one training step's loss within 1% of float32's, its
    /// gradient pointing the same way (cosine above 0.99). Skipped where bfloat16 products are unavailable.
    func testBFloat16TrainingStepFollowsFloat32() throws {
        let configuration = T5Configuration(vocabularySize: 64, modelWidth: 32, headWidth: 8, feedForwardWidth: 64, encoderLayers: 2,
                                            heads: 4, relativeAttentionBuckets: 8, relativeAttentionMaxDistance: 16, dropoutRate: 0)
        let model = try T5Model(configuration: configuration, seed: 21)
        let random = RandomSource(seed: 4)
        func tokens(_ count: Int) -> [Int32] { (0..<count).map { _ in Int32(2 + Int(random.next() % 62)) } + [1] }
        let batch = T5Batch(sources: (0..<8).map { tokens(5 + $0) }, targets: (0..<8).map { tokens(2 + $0 % 3) }, padTokenID: 0)
        func step() -> (loss: Float, gradient: [Float]) {
            model.zeroGradients()
            let loss = model(batch).loss
            loss.backward()
            return (loss.item, model.parameters.flatMap { $0.gradient ?? [Float](repeating: 0, count: $0.count) })
        }
        let reference = step()
        do { try MatrixProducts.use(.bfloat16) } catch { throw XCTSkip("bfloat16 products unavailable here: \(error)") }
        let smallest = MatrixProducts.smallestBFloat16Product
        MatrixProducts.smallestBFloat16Product = 0   // this model's products are all small: bfloat16 all the same
        defer { try? MatrixProducts.use(.float32); MatrixProducts.smallestBFloat16Product = smallest }
        let reduced = step()
        XCTAssertEqual(reduced.loss, reference.loss, accuracy: 0.01 * reference.loss)
        XCTAssertNotEqual(reduced.loss, reference.loss, "bfloat16 products should change the loss a little")
        let dot = zip(reduced.gradient, reference.gradient).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let norms = [reduced.gradient, reference.gradient].map { g in g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
        XCTAssertGreaterThan(dot / (norms[0] * norms[1]), 0.99)
    }
}
