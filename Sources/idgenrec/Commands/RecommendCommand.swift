import ArgumentParser
import Foundation
import IDGenRec
import RecData

/// `idgenrec recommend`: the next items after a history (or after each history of a file), from a trained run.
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend", abstract: "Recommend the next items after a history.",
        discussion: "Give one history with --history, or many with --histories FILE (one per line, item ids separated by commas or spaces).")

    @OptionGroup var runFolder: RunFolderOption
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var precision: PrecisionOption
    @Option(help: "Item ids, oldest first, separated by commas.") var history: String?
    @Option(help: "A file of histories, one per line (item ids oldest first, separated by commas or spaces).", completion: .file())
    var histories: String?
    @Option(name: .short, help: "How many items.") var k = 10
    @Option(help: "Beams (default: max(k, \(RunSession.defaultBeams)), so the top of the list does not depend on k).") var beams: Int?
    @Option(help: "Recommend from this catalogue instead of the run's own: a folder with items.jsonl (interactions optional) that the run was not trained on. Its IDs are written once by the run's ID design and kept in RUN/zero-shot/.",
            completion: .directory) var data: String?
    @Flag(help: "Print one JSON object per history, one per line.") var json = false

    func validate() throws {
        guard (1...1000).contains(k) else { throw ValidationError("-k must be in 1...1000") }
        guard beams.map({ $0 >= k }) ?? true else { throw ValidationError("--beams must be at least -k") }
        guard (history == nil) != (histories == nil) else { throw ValidationError("give one of --history ITEMS or --histories FILE") }
    }

    func run() throws {
        threads.apply()
        try precision.apply()
        let session = try runFolder.open()
        let lists = try history.map { [Self.itemIDs(in: $0[...])] } ?? Self.readHistories(histories!)
        let served = try data.map { folder in
            try zeroShotCatalogue(session: session, folder: folder, quiet: json)
        } ?? session.ownCatalogue
        let results = try session.recommend(histories: lists, in: served, count: k, beams: beams)
        for (itemIDs, recommendations) in zip(lists, results) {
            let rows = recommendations.map { recommendation -> [String: Any] in
                let item = served.items[recommendation.item]
                return ["item_id": item.id, "textual_id": served.ids.textualIDs[recommendation.item],
                        "title": item.title ?? item.keywords ?? "", "score": Double(recommendation.score)]
            }
            if json {
                try printJSONLine(["history": itemIDs, "recommendations": rows])
            } else {
                if lists.count > 1 { print("after \(itemIDs.joined(separator: ", ")):") }
                for (rank, row) in rows.enumerated() {
                    print(String(format: "%2d  %8.4f  %@  [%@]  %@", rank + 1, row["score"] as! Double, row["item_id"] as! String,
                                 row["textual_id"] as! String, row["title"] as! String))
                }
            }
        }
    }

    /// The catalogue of `folder` served zero-shot, its IDs from the run's cache or written now (said on stderr).
    func zeroShotCatalogue(session: RunSession, folder: String, quiet: Bool) throws -> ServedCatalogue {
        let catalogue = try servingCatalogue(folder)
        let name = datasetName(folder)
        let served = try session.zeroShotCatalogue(catalogue, name: name)
        let overlap = try session.zeroShotOverlap(with: catalogue, name: name)
        var notes = overlap.warning.map { ["warning: \($0)"] } ?? []
        if !served.reused && !quiet { notes.append("IDs for \(folder): \(served.statistics)" + (served.cachedIn.map { " (kept in \($0.path))" } ?? "")) }
        for note in notes { FileHandle.standardError.write(Data((note + "\n").utf8)) }
        return served.catalogue
    }

    static func itemIDs(in text: Substring) -> [String] {
        text.split(whereSeparator: { (character: Character) in character == "," || character.isWhitespace }).map(String.init)
    }

    /// The histories of a file: one per non-empty line; an empty file is an error.
    static func readHistories(_ path: String) throws -> [[String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--histories \(path): cannot be read as UTF-8 text")
        }
        let lists = text.split(whereSeparator: \.isNewline).map { itemIDs(in: $0) }.filter { !$0.isEmpty }
        guard !lists.isEmpty else { throw ValidationError("--histories \(path): holds no history") }
        return lists
    }
}
