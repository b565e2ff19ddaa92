import Foundation
import TensorEngine
import XCTest

/// Sharded `evaluate`, `ids generate` and `recommend --histories` merged by `merge`, and data-parallel training under
/// `mpirun`, through the built command on a tiny catalogue.
final class ClusterCommandLineTests: XCTestCase {
    private var directory: URL!
    private var data: String { directory.appendingPathComponent("data").path }
    private let vocabulary = CommandLine.repository.appendingPathComponent("vocab/idgenrec-8k.model").path

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let brands = ["Maybelline", "Olay", "Dove", "Neutrogena", "Revlon", "Garnier"]
        var items = "", sequences = ""
        for i in 0..<24 { items += "{\"item_id\": \"i\(i)\", \"title\": \"\(brands[i % 6]) Lotion Number \(i)\"}\n" }
        // Histories of several lengths, so that decoding batches sort them.
        for u in 0..<150 { sequences += "u\(u) " + (0..<(4 + u % 5)).map { "i\((u + $0 * 3) % 24)" }.joined(separator: " ") + "\n" }
        try Data(items.utf8).write(to: URL(fileURLWithPath: data).appendingPathComponent("items.jsonl"))
        try Data(sequences.utf8).write(to: URL(fileURLWithPath: data).appendingPathComponent("user_sequence.txt"))
        let shape = #"{"modelWidth": 16, "heads": 2, "headWidth": 8, "feedForwardWidth": 32, "encoderLayers": 1, "decoderLayers": 1}"#
        let learned = """
        {"generator": \(shape), "recommender": \(shape), "warmStartEpochs": 2, "rounds": 1, "recommenderEpochs": 1,
         "validationUsers": 10, "evaluationBeams": 20, "generatorSettings": {"candidates": 3, "maximumIDTokens": 4,
         "maximumTextTokens": 32, "batchSize": 8}}
        """
        try Data(learned.utf8).write(to: directory.appendingPathComponent("learned.json"))
        let words = """
        {"ids": {"design": "title-words"}, "recommender": \(shape), "rounds": 1, "recommenderEpochs": 2, "batchSize": 32,
         "validationUsers": 20, "evaluationBeams": 20}
        """
        try Data(words.utf8).write(to: directory.appendingPathComponent("words.json"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func succeed(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let result = try CommandLine.run(arguments, environment: environment)
        XCTAssertEqual(result.status, 0, "\(arguments.joined(separator: " ")): \(result.error)")
        return result.output
    }

    private func fail(_ arguments: [String], saying expected: String) throws {
        let result = try CommandLine.run(arguments)
        XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
        XCTAssertTrue(result.error.contains(expected), "\(arguments.joined(separator: " ")): \(result.error)")
    }

    /// An evaluation record without its timings (its own, and a baseline's training time), which differ from run to run.
    private func record(_ file: String) throws -> NSDictionary {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        return Self.withoutTimings(object) as NSDictionary
    }

    /// Printed JSON lines, each without its timings.
    private func rows(_ printed: String) throws -> [NSDictionary] {
        try printed.split(separator: "\n").map { line in
            Self.withoutTimings(try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])) as NSDictionary
        }
    }

    private static func withoutTimings(_ object: [String: Any]) -> [String: Any] {
        object.filter { $0.key != "seconds" && $0.key != "training_seconds" }.mapValues { value in
            (value as? [String: Any]).map(withoutTimings) ?? value
        }
    }

    func testShardsMergeIntoExactlyTheUnshardedResults() throws {
        let run = path("run")
        _ = try succeed(["train", "--data", data, "--out", run, "--config", path("learned.json"), "--tokenizer", vocabulary])

        // evaluate: every row's metrics and the model's per-user ranks, whatever the number of shards.
        let evaluate = ["evaluate", "--model", run, "--data", data, "--split", "validation", "--baselines", "--batch-size", "16"]
        let whole = try succeed(evaluate + ["--json"])
        let wholeRecord = try record(run + "/evaluation-data-validation.json")
        let wholeRanks = try String(contentsOfFile: run + "/evaluation-data-validation.ranks.tsv", encoding: .utf8)
        for count in [1, 2, 3, 7] {
            var parts: [String] = []
            for index in 1...count {
                _ = try succeed(evaluate + ["--shard", "\(index)/\(count)"])
                parts.append(run + "/evaluation-data-validation.part-\(index)-of-\(count).json")
            }
            let merged = path("merged-\(count).json")
            let printed = try succeed(["merge"] + parts + ["--out", merged, "--json"])
            XCTAssertEqual(try rows(printed), try rows(whole), "\(count) shards")
            XCTAssertEqual(try record(merged), wholeRecord, "\(count) shards")
            XCTAssertEqual(try String(contentsOfFile: path("merged-\(count).ranks.tsv"), encoding: .utf8), wholeRanks, "\(count) shards")
            if count == 7 {
                // Bad merges: a missing shard, one twice, parts of two jobs.
                try fail(["merge"] + parts.dropLast(), saying: "missing: 7/7")
                try fail(["merge"] + parts + [parts[0]], saying: "are both shard 1/7")
                _ = try succeed(evaluate + ["--shard", "1/2", "--cutoffs", "5", "10"])
                try fail(["merge", run + "/evaluation-data-validation.part-1-of-2.json"] + parts.dropFirst(), saying: "different jobs: their cutoffs differs")
            }
        }
        // The scheduler's environment picks the shard: a Slurm array numbered from 1.
        let slurm = try CommandLine.run(evaluate + ["--json"], environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "2"])
        XCTAssertEqual(slurm.status, 0, slurm.error)
        XCTAssertTrue(slurm.output.contains("\"shard\":\"2\\/2\"") || slurm.output.contains("\"shard\":\"2/2\""), slurm.output)
        XCTAssertTrue(slurm.error.contains("SLURM_ARRAY_TASK_ID 2 of 2"), slurm.error)
        // The run's report reads records, not partial results.
        _ = try succeed(["report", run])

        // ids generate: the same dictionary, byte for byte (collisions resolved over the whole catalogue).
        let ids = path("ids.tsv")
        _ = try succeed(["ids", "generate", "--model", run, "--data", data, "--out", ids])
        let dictionary = try Data(contentsOf: URL(fileURLWithPath: ids))
        for count in [1, 2, 3, 7] {
            let out = path("ids-\(count).tsv")
            for index in 1...count { _ = try succeed(["ids", "generate", "--model", run, "--data", data, "--out", out, "--shard", "\(index)/\(count)"]) }
            _ = try succeed(["merge"] + (1...count).map { path("ids-\(count).part-\($0)-of-\(count).json") } + ["--out", out])
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), dictionary, "\(count) shards")
        }
        // A dictionary part merged with an evaluation part: not one job.
        try fail(["merge", path("ids-2.part-1-of-2.json"), run + "/evaluation-data-validation.part-2-of-2.json"], saying: "merge the parts of one job")

        // recommend --histories: the same lines, in the file's order.
        let histories = path("histories.txt")
        try Data((0..<40).map { u in (0..<(1 + u % 4)).map { "i\((u * 5 + $0) % 24)" }.joined(separator: ",") + "\n" }.joined().utf8)
            .write(to: URL(fileURLWithPath: histories))
        let recommend = ["recommend", "--model", run, "--histories", histories, "-k", "3", "--json"]
        let lists = try succeed(recommend)
        for count in [2, 3] {
            let out = path("lists-\(count).jsonl")
            for index in 1...count { _ = try succeed(recommend + ["--out", out, "--shard", "\(index)/\(count)"]) }
            _ = try succeed(["merge"] + (1...count).map { path("lists-\(count).part-\($0)-of-\(count).json") } + ["--out", out])
            XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), lists, "\(count) shards")
        }
    }

    func testBadShardsAreClearErrors() throws {
        let evaluate = ["evaluate", "--baseline", "popular", "--data", data, "--out", path("popular.json")]
        try fail(evaluate + ["--shard", "0/2"], saying: "shards are numbered 1 to 2")
        try fail(evaluate + ["--shard", "3/2"], saying: "shard 3/2 does not exist")
        try fail(evaluate + ["--shard", "two"], saying: "expected I/N")
        try fail(evaluate + ["--shards", "4"], saying: "--shard I/4")
        try fail(["merge", path("nothing.json")], saying: "nothing.json")
        try Data("{\"not\": \"a part\"}".utf8).write(to: URL(fileURLWithPath: path("other.json")))
        try fail(["merge", path("other.json")], saying: "not a partial result")
        // Parts of two datasets' evaluations.
        let other = path("other-data")
        try FileManager.default.copyItem(atPath: data, toPath: other)
        try Data("u1 i1 i2 i3 i4 i5\nu2 i2 i3 i4 i5 i6\n".utf8).write(to: URL(fileURLWithPath: other).appendingPathComponent("user_sequence.txt"))
        _ = try succeed(evaluate + ["--shard", "1/2"])
        _ = try succeed(["evaluate", "--baseline", "popular", "--data", other, "--out", path("popular.json"), "--shard", "2/2"])
        try fail(["merge", path("popular.part-1-of-2.json"), path("popular.part-2-of-2.json")], saying: "different jobs")
    }

    /// `mpirun -np 2 idgenrec train` trains the model one process trains on the same global batch, both ranks hold the
    /// same weights, and a killed MPI run resumes to exactly the uninterrupted one.
    func testDataParallelTrainingMatchesOneProcess() throws {
        guard let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("mpirun is not installed (Debian: apt-get install openmpi-bin): data-parallel training is not tested here")
        }
        let train = ["train", "--data", data, "--config", path("words.json"), "--tokenizer", vocabulary, "--threads", "1"]
        func mpi(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
            let launcher = ["--oversubscribe", "-np", "2"] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
            return try CommandLine.run(launcher + [CommandLine.product("idgenrec").path] + arguments, executable: mpirun)
        }
        _ = try succeed(train + ["--out", path("one")])
        var result = try mpi(train + ["--out", path("two")])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.error.contains("data-parallel over 2 processes"), result.error)
        XCTAssertTrue(result.error.contains("2 replicas identical"), "both ranks hold the same weights after each epoch: \(result.error)")

        // Per-step losses (every step is logged on a catalogue this small) and the weights, to float rounding.
        func losses(_ run: String) throws -> [Double] {
            try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8).split(separator: "\n")
                .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .filter { $0["event"] as? String == "step" }.map { $0["loss"] as! Double }
        }
        let (one, two) = (try losses(path("one")), try losses(path("two")))
        XCTAssertEqual(one.count, two.count)
        XCTAssertGreaterThan(one.count, 4)
        for (a, b) in zip(one, two) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        func weights(_ run: String) throws -> [String: Tensor] {
            try SafeTensors.read(contentsOf: URL(fileURLWithPath: run + "/checkpoint/recommender/model.safetensors"))
        }
        let (w1, w2) = (try weights(path("one")), try weights(path("two")))
        XCTAssertEqual(Set(w1.keys), Set(w2.keys))
        for (name, tensor) in w1 {
            let largest = zip(tensor.scalars, w2[name]!.scalars).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(largest, 1e-4, name)
        }

        // Rank 0 killed while it writes the first epoch's checkpoint: mpirun stops the job; --resume finishes it exactly.
        result = try mpi(train + ["--out", path("killed"), "--crash-at", "checkpoint-swap:1"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("rank 0"), "the launcher names the rank that died: \(result.error)")
        // An error in the ranks (a run that is not there) stops the job with the rank's message.
        let missing = try mpi(["train", "--data", data, "--out", path("missing"), "--resume", "--threads", "1"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.error.contains("of 2: error:"), missing.error)
        result = try mpi(["train", "--data", data, "--out", path("killed"), "--resume", "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("killed") + "/checkpoint/recommender/model.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: path("two") + "/checkpoint/recommender/model.safetensors")))
    }
}
