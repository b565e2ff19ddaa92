import Foundation
import XCTest
@testable import IDGenRec
import NN
import RecData
import TensorEngine

/// SASRec learns a deterministic sequence, ranks with history items left out, and reads only valid settings.
final class SASRecTests: XCTestCase {
    /// A small model for the 40-item cycle of ``EndToEndTests/cyclicSplit(users:)``: width 32, window 8, lr 5e-3.
    static func cycleSettings() -> SASRec.Settings {
        var settings = SASRec.Settings()
        settings.width = 32
        settings.maximumLength = 8
        settings.dropoutRate = 0.1
        settings.learningRate = 5e-3
        settings.batchSize = 32
        return settings
    }

    func testLearnsADeterministicSequence() throws {
        // Every user walks the 40-item cycle from a random start: the next item is always the last one plus one.
        let split = try EndToEndTests.cyclicSplit(users: 200)
        var settings = Self.cycleSettings()
        settings.epochs = 25
        let result = try SASRecBaseline(settings: settings).evaluate(split: split, samples: split.test, count: 10, cutoffs: [1, 10])
        XCTAssertGreaterThan(result.result.hitRate(at: 1)!, 0.9, "chance is 1 in 40: \(result.result.text)")
        XCTAssertNotNil(result.notes["training_seconds"])
        // The same settings and seed train the same model.
        let again = try SASRecBaseline(settings: settings).evaluate(split: split, samples: split.test, count: 10, cutoffs: [1, 10])
        XCTAssertEqual(again.ranking.userRanks, result.ranking.userRanks)
        // The BERT-style shape learns it too.
        settings.normalization = .post
        settings.activation = .gelu
        settings.feedForwardWidth = 64
        let post = try SASRecBaseline(settings: settings).evaluate(split: split, samples: split.test, count: 10, cutoffs: [1, 10])
        XCTAssertGreaterThan(post.result.hitRate(at: 1)!, 0.9, post.result.text)
    }

    func testBSARecLearnsADeterministicSequenceAndScoresEachHistoryAlone() throws {
        let split = try EndToEndTests.cyclicSplit(users: 200)
        var settings = Self.cycleSettings()
        settings.architecture = .bsarec
        settings.normalization = .post
        settings.feedForwardWidth = 64
        settings.epochs = 6
        let result = try SASRecBaseline(settings: settings).evaluate(split: split, samples: split.test, count: 10, cutoffs: [1, 10])
        XCTAssertGreaterThan(result.result.hitRate(at: 1)!, 0.9, "chance is 1 in 40: \(result.result.text)")
        // Left-padded to the whole window, a history scores the same alone or beside longer and shorter ones.
        let model = try SASRec(items: 40, settings: settings)
        let histories: [ArraySlice<Int32>] = [[3, 4, 5], [1], [7, 8, 9, 10, 11, 12, 13, 14, 15, 16]]
        let together = model.scores(histories: histories)
        for (row, history) in histories.enumerated() {
            let alone = model.scores(histories: [history])[0]
            for (a, b) in zip(alone, together[row]) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        }
    }

    /// BSARec's low-pass filter is an orthonormal real FFT along time, all but the first `kept` bins zeroed, and the
    /// inverse: checked against that transform written out (a plain DFT in double precision).
    func testLowPassProjectionIsTheTruncatedFourierTransform() {
        for (length, kept) in [(7, 1), (7, 3), (8, 3), (8, 5), (50, 3)] {
            let projection = FrequencyFilter.lowPassProjection(length: length, keptFrequencies: kept)
            let random = RandomSource(seed: UInt64(length * 10 + kept))
            let signal = (0..<length).map { _ in Double(random.nextNormal()) }
            let n = Double(length)
            // rfft (norm "ortho"): X_k = Σ_t x_t e^{−2πikt/n} / √n for k = 0 ... n/2.
            var spectrum = (0...(length / 2)).map { k -> (re: Double, im: Double) in
                var re = 0.0, im = 0.0
                for (t, x) in signal.enumerated() {
                    let angle = -2 * Double.pi * Double(k * t) / n
                    re += x * cos(angle); im += x * sin(angle)
                }
                return (re / n.squareRoot(), im / n.squareRoot())
            }
            for k in kept..<spectrum.count { spectrum[k] = (0, 0) }
            // irfft (norm "ortho"): the conjugate-symmetric inverse, the Nyquist bin of an even length counted once.
            for t in 0..<length {
                var value = 0.0
                for (k, bin) in spectrum.enumerated() {
                    let angle = 2 * Double.pi * Double(k * t) / n
                    let once = k == 0 || (length % 2 == 0 && 2 * k == length)
                    value += (once ? 1 : 2) * (bin.re * cos(angle) - bin.im * sin(angle))
                }
                value /= n.squareRoot()
                let projected = (0..<length).reduce(0.0) { $0 + Double(projection[t * length + $1]) * signal[$1] }
                XCTAssertEqual(projected, value, accuracy: 1e-5, "length \(length), kept \(kept), t \(t)")
            }
        }
        // Keeping every frequency passes the signal unchanged.
        let identity = FrequencyFilter.lowPassProjection(length: 6, keptFrequencies: 4)
        for t in 0..<6 { for s in 0..<6 { XCTAssertEqual(identity[t * 6 + s], t == s ? 1 : 0, accuracy: 1e-6) } }
    }

    /// The filter branch's gradients (input, β and its layer norm) against central finite differences.
    func testFilterBranchGradientsMatchFiniteDifferences() {
        let filter = FrequencyFilter(width: 4, length: 6, keptFrequencies: 2, random: RandomSource(seed: 3))
        let dropout = Dropout(rate: 0, random: RandomSource(seed: 4))
        let x = Tensor.normal(shape: [2, 6, 4], standardDeviation: 1, random: RandomSource(seed: 5), requiresGradient: true)
        let weights = Tensor.normal(shape: [2, 6, 4], standardDeviation: 1, random: RandomSource(seed: 6))
        func objective() -> Tensor { (filter(x, dropout: dropout) * weights).sum() }
        for tensor in [x] + filter.parameters { tensor.zeroGradient() }
        objective().backward()
        for tensor in [x, filter.highScaleRoot, filter.norm.weight] {
            let analytic = tensor.gradient!
            let epsilon: Float = 1e-2
            var difference = 0.0, reference = 0.0
            var values = tensor.scalars
            for i in 0..<tensor.count {
                let original = values[i]
                values[i] = original + epsilon; tensor.assign(values)
                let plus = withoutGradient { objective().item }
                values[i] = original - epsilon; tensor.assign(values)
                let minus = withoutGradient { objective().item }
                values[i] = original; tensor.assign(values)
                let numeric = Double(plus - minus) / Double(2 * epsilon)
                difference += (Double(analytic[i]) - numeric) * (Double(analytic[i]) - numeric)
                reference += numeric * numeric
            }
            XCTAssertGreaterThan(reference, 0)
            XCTAssertLessThan((difference / reference).squareRoot(), 1e-2, "\(tensor.shape)")
        }
    }

    func testTopSkipsExcludedItemsAndBreaksTiesByIndex() {
        XCTAssertEqual(SASRec.top(3, of: [0.5, 2, 2, 1, 3], skipping: [4]), [1, 2, 3])
        XCTAssertEqual(SASRec.top(10, of: [1, 0], skipping: []), [0, 1])
        XCTAssertEqual(SASRec.top(2, of: [1, 1, 1], skipping: [0]), [1, 2])
    }

    func testSettingsFileRefusesUnknownKeysAndBadValues() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sasrec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (text, pattern) in [(#"{"epoch": 3}"#, "unknown key \"epoch\""), (#"{"width": 64, "heads": 3}"#, "sasrec.width"),
                                (#"{"dropoutRate": 1}"#, "sasrec.dropoutRate"), ("[1]", "settings.json"),
                                (#"{"architecture": "bsarec"}"#, "sasrec.normalization: must be post"),
                                (#"{"architecture": "bsarec", "normalization": "post", "maximumLength": 10, "keptFrequencies": 7}"#, "sasrec.keptFrequencies"),
                                (#"{"architecture": "bsarec", "normalization": "post", "filterShare": 1.5}"#, "sasrec.filterShare")] {
            let file = folder.appendingPathComponent("settings.json")
            try Data(text.utf8).write(to: file)
            XCTAssertThrowsError(try SASRec.Settings.read(from: file), text) { XCTAssertTrue("\($0)".contains(pattern), "\($0)") }
        }
        let file = folder.appendingPathComponent("good.json")
        try Data(#"{"epochs": 3, "width": 32}"#.utf8).write(to: file)
        let settings = try SASRec.Settings.read(from: file)
        XCTAssertEqual(settings.epochs, 3)
        XCTAssertEqual(settings.width, 32)
        XCTAssertEqual(settings.blocks, SASRec.Settings().blocks)
    }
}
