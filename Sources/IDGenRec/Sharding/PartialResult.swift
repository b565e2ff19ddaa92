import Cluster
import DurableFiles
import Foundation

/// What one shard of a sharded command (`evaluate`, `ids generate`, `recommend --histories` with `--shard I/N`) wrote,
/// for `idgenrec merge` to combine into exactly what the unsharded command writes: the kind of job, what identifies
/// the job (every part of one job agrees on it), the shard, and the shard's results.
public struct PartialResult<Payload: Codable>: Codable {
    public var format = PartialResults.format
    public var kind: PartialResults.Kind
    /// What every shard of one job shares: the run, the dataset and its fingerprint, the settings.
    public var job: [String: String]
    public var shard: Shard
    public var payload: Payload

    public init(kind: PartialResults.Kind, job: [String: String], shard: Shard, payload: Payload) {
        self.kind = kind
        self.job = job
        self.shard = shard
        self.payload = payload
    }

    /// Writes the part atomically (a killed shard leaves no half-written part).
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(encoder.encode(self), to: url)
    }
}

/// Reading and checking the parts of one sharded job.
public enum PartialResults {
    public static let format = "idgenrec-partial-1"

    /// The sharded commands.
    public enum Kind: String, Codable, Sendable {
        case evaluation, ids, recommendations
    }

    private struct Header: Decodable {
        var format: String
        var kind: Kind
    }

    /// The kind of job `url` is a part of; a file that is no part is an error naming it.
    public static func kind(of url: URL) throws -> Kind {
        do {
            let header = try JSONDecoder().decode(Header.self, from: Data(contentsOf: url))
            guard header.format == format else {
                throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "a partial result of format \(header.format); this build reads \(format)")
            }
            return header.kind
        } catch let error as IDGenRecError { throw error } catch {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "not a partial result of a sharded idgenrec command (\(error))")
        }
    }

    /// The parts at `urls`, ordered by shard, once they are shown to make one whole job: the same kind and job, the
    /// same number of shards, each shard exactly once.
    public static func read<Payload: Codable>(_ urls: [URL], as: Payload.Type) throws -> [PartialResult<Payload>] {
        guard let first = urls.first else { throw IDGenRecError.invalidInput("merge: give the partial results of one sharded job") }
        let firstKind = try kind(of: first)
        var parts: [(url: URL, part: PartialResult<Payload>)] = []
        for url in urls {
            let kind = try kind(of: url)
            guard kind == firstKind else {
                throw IDGenRecError.invalidInput("\(url.path) is a part of \(kind.rawValue), \(first.path) of \(firstKind.rawValue): merge the parts of one job")
            }
            do { parts.append((url, try JSONDecoder().decode(PartialResult<Payload>.self, from: Data(contentsOf: url)))) } catch {
                throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "a damaged partial result (\(error))")
            }
        }
        let reference = parts[0].part
        for (url, part) in parts.dropFirst() {
            if let key = Set(part.job.keys).union(reference.job.keys).sorted().first(where: { part.job[$0] != reference.job[$0] }) {
                throw IDGenRecError.invalidInput("\(url.path) and \(first.path) are parts of different jobs: their \(key) differs "
                                                 + "(\(part.job[key] ?? "none") vs \(reference.job[key] ?? "none"))")
            }
            guard part.shard.count == reference.shard.count else {
                throw IDGenRecError.invalidInput("\(url.path) is shard \(part.shard) but \(first.path) is shard \(reference.shard): the job was split two ways")
            }
        }
        var byIndex: [Int: URL] = [:]
        for (url, part) in parts {
            if let other = byIndex[part.shard.index] {
                throw IDGenRecError.invalidInput("\(url.path) and \(other.path) are both shard \(part.shard)")
            }
            byIndex[part.shard.index] = url
        }
        let count = reference.shard.count
        let missing = (1...count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw IDGenRecError.invalidInput("the job has \(count) shards; missing: " + missing.map { "\($0)/\(count)" }.joined(separator: ", "))
        }
        return parts.map(\.part).sorted { $0.shard.index < $1.shard.index }
    }

    /// The positions (in the given order) of `shard`'s histories among histories of these `lengths`: whole decoding
    /// batches of ``Recommender/decodingOrder(lengths:)``, so that the shard decodes exactly the whole job's batches.
    public static func positions(of shard: Shard, lengths: [Int], batchSize: Int) -> [Int] {
        let order = Recommender.decodingOrder(lengths: lengths)
        return order[shard.range(of: order.count, granule: batchSize)].sorted()
    }

    /// Where a shard's partial result goes for a job that writes `file`: beside it, `NAME.part-I-of-N.json`, so that every
    /// task of an array runs the same command line and `merge NAME.part-*-of-N.json --out FILE` finds the parts.
    public static func url(beside file: String, shard: Shard) -> URL {
        URL(fileURLWithPath: URL(fileURLWithPath: file).deletingPathExtension().path + ".part-\(shard.index)-of-\(shard.count).json")
    }

    /// An FNV-1a hash of `parts`, in hex: what tells apart two datasets, runs or files that share a path.
    public static func fingerprint<S: Sequence<String>>(_ parts: S) -> String {
        var hash = FNV1a()
        for part in parts { hash.add(part) }
        return String(hash.value, radix: 16)
    }

    /// The fingerprint of a run as it stands: its configuration and its checkpoint's state.
    public static func fingerprint(of run: RunDirectory) -> String {
        var hash = FNV1a()
        for part in run.stateBytes { hash.add(part) }
        return String(hash.value, radix: 16)
    }
}
