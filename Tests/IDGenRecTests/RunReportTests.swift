import Foundation
import XCTest
@testable import IDGenRec

/// The report's structure, from a hand-written run folder.
final class RunReportTests: XCTestCase {
    func testReportHasCurvesValidationEvaluationsAndIDsAndNothingExternal() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = [
            #"{"event":"ids","phase":"start","summary":{"items":12,"mean_tokens":4.5,"fallback_share":0.25}}"#,
            #"{"event":"step","phase":"recommender-1","step":10,"loss":5.5,"learning_rate":0.001}"#,
            #"{"event":"step","phase":"recommender-1","step":20,"loss":4.25,"learning_rate":0.0005}"#,
            #"{"event":"step","phase":"recommender-1","step":20,"loss":4.0,"learning_rate":0.0005}"#,
            #"{"event":"epoch","phase":"recommender-1","epoch":1,"loss":4.8,"steps":20}"#,
            #"{"event":"validation","phase":"recommender-1","metrics":{"ndcg@10":0.03,"hr@10":0.05,"hr@5":0.04}}"#,
            #"{"event":"step","phase":"ids-2","step":5,"loss":3.0,"learning_rate":0.0001}"#,
        ]
        try Data((log.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("log.jsonl"))
        try Data(#"{"idDesign": "title-words", "recommenderEpochs": 9}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        let evaluation = #"{"dataset": "<beauty>", "split": "test", "users": 3, "ndcg@10": 0.0213, "hr@10": 0.0413, "beams": 20, "baselines": {"text": {"ndcg@10": 0.0434, "hr@10": 0.0679}}}"#
        try Data(evaluation.utf8).write(to: folder.appendingPathComponent("evaluation-beauty-test.json"))

        let report = try RunReport(run: RunDirectory(folder))
        XCTAssertEqual(report.phases.map(\.name), ["recommender-1", "ids-2"])
        XCTAssertEqual(report.phases[0].steps, [.init(step: 10, loss: 5.5, learningRate: 0.001), .init(step: 20, loss: 4.0, learningRate: 0.0005)],
                       "a step logged twice (a resumed run) keeps its last value")
        let html = report.html()
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 4, "loss and learning rate per phase")
        XCTAssertTrue(html.contains("<polyline"))
        for text in ["Validation after each recommender phase", "0.0300", "Evaluations", "evaluation-beauty-test.json", "0.0434", "0.0213",
                     "IDs after each generation", "title-words", "&lt;beauty&gt;"] {
            XCTAssertTrue(html.contains(text), text)
        }
        XCTAssertLessThan(html.range(of: "hr@5")!.lowerBound, html.range(of: "hr@10")!.lowerBound, "cut-offs in numeric order")
        XCTAssertFalse(html.contains("<script"), "no script")
        XCTAssertEqual(html.components(separatedBy: "http").count - 1, html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1,
                       "nothing fetched from the network: the only URL is the SVG namespace")

        try Data("not json\n".utf8).write(to: folder.appendingPathComponent("log.jsonl"))
        XCTAssertThrowsError(try RunReport(run: RunDirectory(folder))) { XCTAssertTrue("\($0)".contains("log.jsonl:1"), "\($0)") }
    }
}
