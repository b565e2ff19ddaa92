import Foundation
import XCTest
@testable import IDGenRec

/// The training configurations the README's results come from read and validate as shipped.
final class ShippedConfigurationTests: XCTestCase {
    func testEveryExampleConfigurationValidates() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = repository.appendingPathComponent("Examples/configs")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "json" }
        XCTAssertGreaterThanOrEqual(files.count, 7)
        for file in files {
            XCTAssertNoThrow(try TrainingConfiguration.read(from: file), file.lastPathComponent)
        }
        let recipe = try TrainingConfiguration.read(from: folder.appendingPathComponent("beauty.json"))
        XCTAssertTrue(recipe.recommenderSettings.copyGate)
        XCTAssertTrue(recipe.recommenderSettings.copyContinuation)
        XCTAssertEqual(recipe.recommenderSettings.sequentialFusion, 2)
        XCTAssertEqual(recipe.recommenderSettings.transitionShare, 0.5)
        XCTAssertEqual(recipe.recommenderSettings.textShare, 0.2)
        XCTAssertEqual(recipe.recommenderSettings.priorParts, .summed)
        XCTAssertEqual(recipe.recommenderSettings.priorCandidates, 0, "no gain at NDCG@10 on Beauty, for twice the decoding time")
        XCTAssertTrue(recipe.recommenderSettings.readsSequentialModel, "the sequential model keeps 0.3 of the prior")
        XCTAssertEqual(recipe.sequentialModel, .bsarec, "the recipe's sequential model is the bsarec baseline row's")
        let search = try XCTUnwrap(recipe.decodingSearch, "the recipe chooses its decoding settings on validation")
        XCTAssertEqual(try search.candidates(for: recipe).count, 6, "1 x 3 x 2 combinations, the recipe's own values first")
        XCTAssertEqual(try TrainingConfiguration.read(from: folder.appendingPathComponent("toys.json")), recipe,
                       "Toys runs Beauty's design; its search chooses its own decoding settings")
    }
}
