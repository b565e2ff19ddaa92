import ArgumentParser
import Cluster
import DurableFiles
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
    @Option(help: "Write the recommendations to this file instead of standard output.", completion: .file()) var out: String?
    @OptionGroup var sharding: ShardOptions

    func validate() throws {
        guard (1...1000).contains(k) else { throw ValidationError("-k must be in 1...1000") }
        guard beams.map({ $0 >= k }) ?? true else { throw ValidationError("--beams must be at least -k") }
        guard (history == nil) != (histories == nil) else { throw ValidationError("give one of --history ITEMS or --histories FILE") }
    }

    /// What a shard of `recommend --histories` writes: its histories' positions in the file and the text of each.
    struct ShardPayload: Codable {
        var positions: [Int]
        var texts: [String]
    }

    func run() throws {
        threads.apply()
        try precision.apply()
        let shard = try sharding.resolve()
        if shard != nil {
            guard histories != nil, out != nil else { throw ValidationError("a shard recommends for part of --histories FILE: give both, and --out FILE for the merged result") }
        }
        let session = try runFolder.open()
        let lists = try history.map { [Self.itemIDs(in: $0[...])] } ?? Self.readHistories(histories!)
        let served = try data.map { folder in
            try zeroShotCatalogue(session: session, folder: folder, quiet: json)
        } ?? session.ownCatalogue
        // A shard takes whole decoding batches, so that its lists are the unsharded command's to the last bit.
        let positions = PartialResults.positions(of: shard?.shard ?? .whole, lengths: lists.map(\.count), batchSize: RunSession.batchSize)
        let results = try session.recommend(histories: positions.map { lists[$0] }, in: served, count: k, beams: beams)
        let texts = try zip(positions, results).map { position, recommendations in
            try text(history: lists[position], recommendations: recommendations, served: served, listsSeveral: lists.count > 1)
        }
        if let shard, let out, let file = histories {
            let job = ["model": session.run.url.path, "run_fingerprint": PartialResults.fingerprint(of: session.run), "data": data ?? "",
                       "histories_fingerprint": PartialResults.fingerprint(lists.map { $0.joined(separator: " ") }), "histories": file,
                       "k": "\(k)", "beams": "\(beams.map(String.init) ?? "default")", "json": "\(json)", "out": out]
            let part = PartialResults.url(beside: out, shard: shard.shard).path
            try PartialResult(kind: .recommendations, job: job, shard: shard.shard, payload: ShardPayload(positions: positions, texts: texts))
                .write(to: URL(fileURLWithPath: part))
            ShardOptions.report(shard, wrote: part)
            return
        }
        try Self.emit(texts.joined(), to: out)
    }

    /// The lines for one history: a JSON object, or a header (when the file lists several) and one line per item.
    private func text(history itemIDs: [String], recommendations: [Recommender.Recommendation], served: ServedCatalogue, listsSeveral: Bool) throws -> String {
        let rows = recommendations.map { recommendation -> [String: Any] in
            let item = served.items[recommendation.item]
            return ["item_id": item.id, "textual_id": served.ids.textualIDs[recommendation.item],
                    "title": item.title ?? item.keywords ?? "", "score": Double(recommendation.score)]
        }
        if json { return try jsonLine(["history": itemIDs, "recommendations": rows]) + "\n" }
        var lines = listsSeveral ? ["after \(itemIDs.joined(separator: ", ")):"] : []
        for (rank, row) in rows.enumerated() {
            lines.append(String(format: "%2d  %8.4f  %@  [%@]  %@", rank + 1, row["score"] as! Double, row["item_id"] as! String,
                                row["textual_id"] as! String, row["title"] as! String))
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Prints `text`, or writes it to `out` atomically.
    static func emit(_ text: String, to out: String?) throws {
        guard let out else { return print(text, terminator: "") }
        try AtomicFile.write(Data(text.utf8), to: URL(fileURLWithPath: out))
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
