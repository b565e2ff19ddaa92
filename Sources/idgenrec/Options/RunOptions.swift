import ArgumentParser
import Cluster
import Foundation
import IDGenRec
import RecData
import TensorEngine
import Tokenization

/// Loads a dataset folder (any supported format) and its leave-one-out split.
func loadSplit(_ path: String) throws -> LeaveOneOutSplit {
    let prepared = try DatasetPreparation.load(DatasetSource(path: path))
    return try LeaveOneOutSplit(dataset: prepared.dataset, maximumHistoryLength: 20)
}

/// The dataset a run trains on: one folder, or several merged into one (each user prefixed by its folder's name, an
/// item id shared by two folders one item), with each folder's record for the run.
func loadTrainingSplit(_ paths: [String]) throws -> (split: LeaveOneOutSplit, catalogues: [TrainingCatalogue]) {
    let names = paths.map(datasetName)
    if let repeated = names.enumerated().first(where: { names[..<$0.offset].contains($0.element) })?.element {
        throw ValidationError("two --data folders are named \(repeated): the folder's name tells its users apart in a merged run; rename one")
    }
    let datasets = try paths.map { try DatasetPreparation.load(DatasetSource(path: $0)).dataset }
    let catalogues = zip(names, datasets).map { TrainingCatalogue(name: $0, dataset: $1) }
    let dataset = datasets.count == 1 ? datasets[0] : try DatasetMerge.merge(zip(datasets, names).map { ($0, $1 + "_") }).dataset
    return (try LeaveOneOutSplit(dataset: dataset, maximumHistoryLength: 20), catalogues)
}

/// The catalogue a dataset offers a model to serve: every item of a folder's `items.jsonl`, interactions or not;
/// for a dataset in another format, the items of its interactions (`dataset`, when already loaded).
func servingCatalogue(_ path: String, dataset: Dataset? = nil) throws -> Catalogue {
    if ProjectFormatImporter.itemsFile(in: path) != nil { return try ProjectFormatImporter.loadCatalogue(folder: path) }
    return try dataset?.catalogue ?? loadSplit(path).dataset.catalogue
}

/// A dataset's name: its folder's (`../shared/datasets/beauty` is `beauty`).
func datasetName(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
}

extension IDDictionaryFormat: ExpressibleByArgument {}

/// Prints a JSON object on one line, keys sorted.
func printJSONLine(_ object: Any) throws { print(try jsonLine(object)) }

/// A JSON object on one line, keys sorted.
func jsonLine(_ object: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
}

/// `--threads`, when given, must be a count the engine can use.
func validateThreads(_ threads: Int?) throws {
    if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024, got \(threads)") }
}

/// Finds a file the project ships (the vocabulary, the sample data) when `idgenrec` runs outside the repository:
/// `path` as given (relative to the current folder), else relative to the executable's folder or one of its
/// ancestors (a SwiftPM build sits at `.build/<configuration>/idgenrec` inside the package). Not found anywhere,
/// it is an error naming the flag that sets it.
func locateBundled(_ path: String, flag: String) throws -> String {
    let fileManager = FileManager.default
    if fileManager.fileExists(atPath: path) { return path }
    if !path.hasPrefix("/"), let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = folder.appendingPathComponent(path).path
            if fileManager.fileExists(atPath: candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
    }
    throw IDGenRecError.invalidInput("\(flag) \(path): not found in \(fileManager.currentDirectoryPath) nor beside the idgenrec executable; pass \(flag) PATH")
}

/// Metrics as `hr@5 0.0365  hr@10 0.0576 ...`, in ``RankingMetrics/displayOrder(_:)``.
func metricsLine(_ metrics: [String: Double], separator: String = "  ") -> String {
    RankingMetrics.displayOrder(Set(metrics.keys)).map { "\($0) \(String(format: "%.4f", metrics[$0]!))" }.joined(separator: separator)
}

/// `--model RUN`, as every command that uses a trained run takes it: the folder `idgenrec train` made, opened whole.
struct RunFolderOption: ParsableArguments {
    @Option(name: .customLong("model"), help: "Run folder made by `idgenrec train`.", completion: .directory)
    var path: String

    func open() throws -> RunSession { try RunSession(run: RunDirectory(URL(fileURLWithPath: path))) }
}

/// `--model RUN` for a command that can also run without a model (`evaluate --baselines`).
struct OptionalRunFolderOption: ParsableArguments {
    @Option(name: .customLong("model"), help: "Run folder made by `idgenrec train`.", completion: .directory)
    var path: String?
}

/// `--tokenizer`, as every command that spells IDs takes it: a SentencePiece model, the bundled one by default.
struct TokenizerOption: ParsableArguments {
    /// The vocabulary the project ships (found beside the executable when run elsewhere, see ``locateBundled(_:flag:)``).
    static let bundled = "vocab/idgenrec-8k.model"

    @Option(name: .customLong("tokenizer"), help: "SentencePiece model (both of a run's models read it).", completion: .file(extensions: ["model"]))
    var path = Self.bundled

    func load() throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: try locateBundled(path, flag: "--tokenizer")))
    }
}

/// `--threads N`, as every command that runs the engine takes it.
struct ThreadsOption: ParsableArguments {
    @Option(name: .customLong("threads"), help: "Engine threads (default: the machine's cores).")
    var count: Int?

    func validate() throws { try validateThreads(count) }

    /// Sets the engine's thread count when the flag was given.
    func apply() { if let count { Parallel.setThreadCount(count) } }
}

/// `--precision float32|bfloat16`, as every command that runs the engine takes it.
struct PrecisionOption: ParsableArguments {
    @Option(name: .customLong("precision"),
            help: "Matrix products: float32 (the reference) or bfloat16 (operands rounded to bfloat16, float32 accumulation; about twice as fast on CPUs with AVX-512 BF16, needs oneDNN: apt-get install libdnnl2).")
    var value: MatrixPrecision = .float32

    /// Switches the engine's products, or fails saying why bfloat16 is unavailable here.
    func apply() throws {
        do { try MatrixProducts.use(value) } catch { throw ValidationError("--precision \(value.rawValue): \(error)") }
    }
}

extension MatrixPrecision: ExpressibleByArgument {}
extension Recommender.Settings.PriorParts: ExpressibleByArgument {}

/// `--shard I/N` and `--shards N`: one shard of a job split over processes; by default the scheduler's (a Slurm array
/// task, a Kubernetes Indexed Job's index with `--shards`, an MPI rank), else the whole job.
struct ShardOptions: ParsableArguments {
    @Option(help: "Do shard I of N of the job (I from 1) and write a partial result for `idgenrec merge` (default: from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or the MPI rank, else the whole job).")
    var shard: String?
    @Option(help: "Split the job into N shards, this process's taken from the scheduler's environment (a Kubernetes Indexed Job: its completions).")
    var shards: Int?

    func validate() throws {
        if let shard { do { _ = try Shard(parsing: shard) } catch { throw ValidationError("\(error)") } }
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1, got \(shards)") }
        if shard != nil && shards != nil { throw ValidationError("give --shard I/N or --shards N, not both") }
    }

    /// This process's shard and where it came from; nil for the whole job. A job of one shard (`--shard 1/1`, an array
    /// of one task) still writes a partial result, so that the same script merges any number of shards.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (shard: Shard, source: String)? {
        if let shard { return (try Shard(parsing: shard), "--shard") }
        do { return try Launcher(environment: environment).shard(count: shards) } catch { throw ValidationError("\(error)") }
    }

    /// Says on standard error which shard this process does and where its partial result went.
    static func report(_ shard: (shard: Shard, source: String), wrote file: String) {
        FileHandle.standardError.write(Data("shard \(shard.shard) (\(shard.source)): partial result in \(file); combine the shards with `idgenrec merge PART... --out FILE`\n".utf8))
    }
}
