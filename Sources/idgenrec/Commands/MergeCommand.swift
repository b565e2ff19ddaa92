import ArgumentParser
import Foundation
import IDGenRec
import RecData

/// `idgenrec merge`: the partial results of a sharded `evaluate`, `ids generate` or `recommend --histories` (every
/// shard of one job) combined into exactly what the unsharded command writes.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Combine the partial results of a sharded evaluate, ids generate or recommend --histories.",
        discussion: "Give every shard's part (NAME.part-I-of-N.json) of one job. Evaluations put each user's rank back in place, so the metrics are the unsharded run's; ID dictionaries resolve collisions over the whole catalogue, as one process would.")

    @Argument(help: "The parts, one per shard.", completion: .file(extensions: ["json"])) var parts: [String]
    @Option(help: "The merged result: an evaluation record (its per-user ranks beside it), an ID dictionary (in the format the shards were asked for) or the recommendations (default: standard output). Default for an evaluation: where the unsharded command writes it.")
    var out: String?
    @Flag(help: "Print a merged evaluation as one JSON line per row.") var json = false

    func validate() throws {
        guard !parts.isEmpty else { throw ValidationError("give the parts of one sharded job") }
    }

    func run() throws {
        let urls = parts.map { URL(fileURLWithPath: $0) }
        switch try PartialResults.kind(of: urls[0]) {
        case .evaluation:
            let parts = try PartialResults.read(urls, as: EvaluationJob.Measurement.self)
            let outcome = try EvaluationJob.merge(parts, out: out)
            let first = parts[0].payload
            try EvaluationPrinter(part: first.part.rawValue, historyExcluded: first.record.historyExcluded ?? true,
                                  model: first.hasModel ? first.rows[0].name : nil, numberOfItems: nil).print(outcome, json: json)
        case .ids:
            let (job, candidates) = try IDShards.read(urls)
            guard let out else { throw ValidationError("give --out FILE: the merged ID dictionary") }
            let run = RunDirectory(URL(fileURLWithPath: job["model"] ?? ""))
            guard PartialResults.fingerprint(of: run) == job["run_fingerprint"] else {
                throw ValidationError("\(run.url.path) changed since the shards ran (or is not the run they read): run them again")
            }
            let session = try RunSession(run: run)
            let catalogue = try servingCatalogue(job["data"] ?? "")
            let generated = try IDShards.merge(candidates: candidates, job: job, catalogue: catalogue, source: session.idSource)
            try write(generated.dictionary, to: out, format: job["format"].flatMap(IDDictionaryFormat.init(rawValue:)))
            print("\(generated.statistics): \(out)")
        case .recommendations:
            let parts = try PartialResults.read(urls, as: RecommendCommand.ShardPayload.self)
            let pieces = parts.flatMap { zip($0.payload.positions, $0.payload.texts) }.sorted { $0.0 < $1.0 }.map(\.1)
            try RecommendCommand.emit(pieces.joined(), to: out)
        }
    }
}
