import ArgumentParser
import Foundation
import IDGenRec

/// `idgenrec recommend`: the next items for a history, from a trained run.
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recommend", abstract: "Recommend the next items after a history.")

    @Option(help: "Run folder made by `idgenrec train`.") var model: String
    @Option(help: "Item ids, oldest first, separated by commas.") var history: String
    @Option(name: .short, help: "How many items.") var k = 10
    @Option(help: "Beams (at least k).") var beams: Int?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard (1...1000).contains(k) else { throw ValidationError("-k must be in 1...1000") }
        guard beams.map({ $0 >= k }) ?? true else { throw ValidationError("--beams must be at least -k") }
    }

    func run() throws {
        let session = try RunSession(run: RunDirectory(URL(fileURLWithPath: model)))
        let itemIDs = history.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let recommendations = try session.recommend(history: itemIDs, count: k, beams: beams)
        let rows = recommendations.map { recommendation -> [String: Any] in
            let item = session.items[recommendation.item]
            return ["item_id": item.id, "textual_id": session.ids.textualIDs[recommendation.item],
                    "title": item.title ?? item.keywords ?? "", "score": Double(recommendation.score)]
        }
        if json {
            try printJSONLine(["history": itemIDs, "recommendations": rows])
        } else {
            for (rank, row) in rows.enumerated() {
                print(String(format: "%2d  %8.4f  %@  [%@]  %@", rank + 1, row["score"] as! Double, row["item_id"] as! String,
                             row["textual_id"] as! String, row["title"] as! String))
            }
        }
    }
}
