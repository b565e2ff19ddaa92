import Cluster
import Foundation
import RecData

/// `ids generate --shard I/N` and its merge: each shard decodes the first candidate IDs of its block of items (whole
/// decoding batches, so that its batches are the unsharded job's); the merge resolves collisions over the whole
/// catalogue, in item order, exactly as one process would, so the dictionary is the same byte for byte.
public enum IDShards {
    public struct Payload: Codable {
        /// The shard's items, as catalogue positions.
        public var items: Range<Int>
        public var candidates: [[String]]
    }

    /// What every shard of one job shares.
    public static func identity(run: RunDirectory, data: String, catalogue: Catalogue, format: String) -> [String: String] {
        ["model": run.url.path, "run_fingerprint": PartialResults.fingerprint(of: run), "data": data, "format": format,
         "items": "\(catalogue.count)", "catalogue_fingerprint": fingerprint(of: catalogue)]
    }

    /// The catalogue's items and their texts, hashed as the zero-shot ID cache hashes them: a catalogue that changed
    /// between the shards and the merge is refused.
    public static func fingerprint(of catalogue: Catalogue) -> String { ZeroShotIDCache.fingerprint(of: catalogue, with: []) }

    /// Decodes `shard`'s items and writes its partial result to `url`; returns the items it took.
    @discardableResult
    public static func writeShard(_ shard: Shard, of catalogue: Catalogue, source: any ItemIDSource, job: [String: String], to url: URL,
                                  progress: ((Int, Int) -> Void)? = nil) throws -> Range<Int> {
        let items = shard.range(of: catalogue.count, granule: source.batchSize)
        let candidates = try source.firstCandidates(for: catalogue, items: items, progress: progress)
        try PartialResult(kind: .ids, job: job, shard: shard, payload: Payload(items: items, candidates: candidates)).write(to: url)
        return items
    }

    /// The parts' job and every item's first candidates, in item order; parts whose items do not tile the catalogue
    /// are an error.
    public static func read(_ urls: [URL]) throws -> (job: [String: String], candidates: [[String]]) {
        let parts = try PartialResults.read(urls, as: Payload.self)
        var candidates: [[String]] = []
        for part in parts {
            guard part.payload.items.lowerBound == candidates.count, part.payload.candidates.count == part.payload.items.count else {
                throw IDGenRecError.invalidInput("shard \(part.shard) holds items \(part.payload.items) with \(part.payload.candidates.count) candidate lists, "
                                                 + "but the shards before it end at item \(candidates.count): a damaged part")
            }
            candidates += part.payload.candidates
        }
        return (parts[0].job, candidates)
    }

    /// The dictionary the unsharded job writes, from every item's first candidates (``read(_:)``) and the run's ID source.
    public static func merge(candidates: [[String]], job: [String: String], catalogue: Catalogue, source: any ItemIDSource) throws -> GeneratedIDs {
        guard job["catalogue_fingerprint"] == fingerprint(of: catalogue), candidates.count == catalogue.count else {
            throw IDGenRecError.invalidInput("the catalogue of \(job["data"] ?? "the shards' data") changed since the shards ran: run them again")
        }
        return try source.ids(for: catalogue, firstCandidates: candidates)
    }
}
