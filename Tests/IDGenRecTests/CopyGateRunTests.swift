import Foundation
import XCTest
import DurableFiles
@testable import IDGenRec
import RecData
import T5
@testable import TensorEngine

/// A run whose recommender decodes through the learned copy gate: trained with it, kept with the run, resumed
/// exactly, served, and refused where it cannot work.
final class CopyGateRunTests: XCTestCase {
    override func tearDown() { AtomicFile.faultHook = nil }

    static func copyGateConfiguration() -> TrainingConfiguration {
        var configuration = EndToEndTests.tinyConfiguration()
        configuration.useIDs(TitleWordIDs.self)
        configuration.recommenderSettings.copyGate = true
        configuration.recommenderSettings.copyContinuation = true
        configuration.recommenderSettings.similarItemHints = 2
        configuration.recommenderEpochs = 2
        return configuration
    }

    func testARunTrainsTheGateKeepsItAndResumesExactly() throws {
        let split = try EndToEndTests.cyclicSplit(users: 60)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let configuration = Self.copyGateConfiguration()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("copy-gate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let whole = RunDirectory(base.appendingPathComponent("whole"))
        let untrained = T5CopyGate(modelWidth: configuration.recommender.modelWidth, continuation: true, seed: configuration.seed &+ 15)
            .parameters.map(\.scalars)
        try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: whole).train()
        let finished = try whole.open().checkpoint
        let gate = try XCTUnwrap(finished.copyGate).parameters.map(\.scalars)
        XCTAssertNotEqual(gate, untrained, "the gate learns with the recommender")
        XCTAssertNotEqual(gate.last, untrained.last, "and its continuation bias with it")

        // Killed at the swap after the first epoch (the optimizer's moments for the gate saved), then resumed.
        let run = RunDirectory(base.appendingPathComponent("killed"))
        var swaps = 0
        AtomicFile.faultHook = { moment, url in
            guard moment == .betweenFolderRenames, url.path.hasPrefix(run.url.path) else { return }
            swaps += 1
            if swaps == 2 { throw CocoaError(.fileWriteUnknown) }
        }
        XCTAssertThrowsError(try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: run).train())
        AtomicFile.faultHook = nil
        try AlternatingTrainer(resuming: run, split: split).train()
        let resumed = try run.open().checkpoint
        XCTAssertEqual(try XCTUnwrap(resumed.copyGate).parameters.map(\.scalars), gate)
        XCTAssertEqual(resumed.recommender.shared.weight.scalars, finished.recommender.shared.weight.scalars)

        // Served through the gate: the session reads it, and it changes what is recommended.
        let session = try RunSession(run: whole)
        XCTAssertNotNil(session.recommender.activeCopyGate)
        let history = ["item4", "item5", "item6"]
        let withGate = try session.recommend(history: history, count: 5)
        XCTAssertEqual(withGate.count, 5)
        session.recommender.settings.copyGate = false
        XCTAssertNotEqual(try session.recommend(history: history, count: 5).map(\.score), withGate.map(\.score))

        try assertDamagedAndMissing(T5CopyGate.fileName, in: whole)
    }

    func testLearnedIDsRefuseTheCopyGate() {
        var configuration = EndToEndTests.tinyConfiguration()
        configuration.recommenderSettings.copyGate = true
        XCTAssertThrowsError(try configuration.validate()) { XCTAssertTrue("\($0)".contains("copyGate"), "\($0)") }
    }

    func testContinuationNeedsTheGate() {
        var configuration = Self.copyGateConfiguration()
        configuration.recommenderSettings.copyGate = false
        XCTAssertThrowsError(try configuration.validate()) { XCTAssertTrue("\($0)".contains("copyContinuation"), "\($0)") }
    }
}
