import ArgumentParser
import Cluster
import Foundation
import Generation
import IDGenRec
import T5
import TensorEngine

/// `idgenrec bench`: times a training step and constrained beam search on the configs of the PyTorch peer,
/// taking the same flags and printing one JSON line per measurement with the same keys.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Time a T5 training step and trie-constrained beam search (sizes a machine).")

    @Option(help: "Model size: small (t5-small) or tiny.") var config: ModelSize = .small
    @OptionGroup var threadCount: ThreadsOption
    @Option(help: "Training batch size.") var batch = 32
    @Option(help: "Source length in tokens.") var src = 128
    @Option(help: "Target length in tokens.") var tgt = 8
    @Option(help: "Catalogue size for constrained search.") var items = 12_101
    @Option(help: "Beams (and returned sequences).") var beams = 10
    @Option(help: "Users decoded.") var users = 8
    @Option(help: "Timed training steps.") var steps = 5
    @Option(help: "What to time.") var only: Measurement = .all
    @OptionGroup var precision: PrecisionOption
    @Flag(help: "After each measurement, one JSON line per op or stage: its forward and backward seconds per repetition and share of the time.")
    var profile = false

    /// The engine's threads: `--threads`, else the machine's cores.
    var threads: Int { threadCount.count ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        for (name, value) in [("batch", batch), ("src", src), ("tgt", tgt), ("items", items), ("beams", beams), ("users", users), ("steps", steps)] where value < 1 {
            throw ValidationError("--\(name) must be at least 1")
        }
    }

    enum ModelSize: String, ExpressibleByArgument, CaseIterable { case small, tiny }
    enum Measurement: String, ExpressibleByArgument, CaseIterable { case all, train, search, allreduce }

    static let configurations: [ModelSize: T5Configuration] = [
        .small: T5Configuration(vocabularySize: 32128, modelWidth: 512, headWidth: 64, feedForwardWidth: 2048, encoderLayers: 6, heads: 8),
        .tiny: T5Configuration(vocabularySize: 8000, modelWidth: 128, headWidth: 32, feedForwardWidth: 512, encoderLayers: 2, heads: 4),
    ]

    func run() throws {
        Parallel.setThreadCount(threads)
        if only == .allreduce { return try timeAllreduce() }
        try precision.apply()
        FileHandle.standardError.write("engine: \(MatrixProducts.summary)\n".data(using: .utf8)!)
        let configuration = Self.configurations[config]!
        let model = try T5Model(configuration: configuration, seed: 0)
        // The yardstick: how fast this machine multiplies matrices right now, for the train step's share of it.
        let peak = BLAS.shared.measuredPeak()
        try printJSONLine(["anchor": "swift", "what": "sgemm_peak", "n": 2048, "gflops_per_s": round2(peak), "threads": threads])
        if only != .search { try timeTraining(model, peak: peak) }
        if only != .train { try timeConstrainedSearch(model) }
    }

    /// What data-parallel training adds to a step: summing every parameter's gradient over the processes `mpirun`
    /// started (buckets as training sends them), `steps` times after one warm-up; process 0 prints the mean.
    private func timeAllreduce() throws {
        let processes = try ProcessGroup.join()
        defer { processes.finish() }
        let model = try T5Model(configuration: Self.configurations[config]!, seed: 0)
        let parallel = DataParallel(communicator: processes), parameters = model.parameters
        for parameter in parameters { parameter.withGradientStorage { $0[0] = 1 } }
        try parallel.sumGradients(parameters)
        let start = Date()
        for _ in 0..<steps { try parallel.sumGradients(parameters) }
        let seconds = Date().timeIntervalSince(start) / Double(steps), floats = parameters.reduce(0) { $0 + $1.count }
        guard processes.isLeader else { return }
        // Bus bandwidth as NCCL's tests define it: what a ring moves per process, 2(N-1)/N of the buffer, per second.
        let bus = 2 * Double(processes.size - 1) / Double(processes.size) * Double(floats * 4) / seconds / 1e9
        try printJSONLine(["anchor": "swift", "what": "allreduce", "config": config.rawValue, "floats": floats, "processes": processes.size,
                           "bucket_floats": parallel.bucketSize, "threads": threads, "ms": round2(seconds * 1000), "bus_gb_per_s": round2(bus)])
    }

    /// Beam search through a trie of random textual IDs (3–9 tokens + eos), as the peer builds it. All users
    /// are decoded in one batch (this engine's way); one user at a time is reported beside it.
    private func timeConstrainedSearch(_ model: T5Model) throws {
        let c = model.configuration, random = RandomSource(seed: 2)
        func token() -> Int32 { Int32(2 + Int(random.next() % UInt64(c.vocabularySize - 2))) }
        var seen = Set<[Int32]>()
        while seen.count < items { seen.insert((0..<(3 + Int(random.next() % 7))).map { _ in token() } + [c.eosTokenID]) }
        let trie = PrefixTrie(seen.map { [c.decoderStartTokenID] + $0 })
        let constraint = PrefixTrieConstraint(trie: trie, endOfSequenceTokenID: c.eosTokenID)
        let inputs = (0..<users).map { _ in (0..<src).map { _ in token() } }
        // max_length 12 in the peer counts the start token: 11 new tokens.
        let configuration = GenerationConfiguration(maxNewTokens: 11, numberOfBeams: beams, numberOfReturnSequences: beams)
        model.dropout.isTraining = false
        // Warmed up as the peer warms up: one call of the shape then timed (the peer's is one user, ours the batch).
        _ = try model.generate(inputs: inputs, configuration: configuration, constraint: constraint)
        var start = Date()
        let results = try model.generate(inputs: inputs, configuration: configuration, constraint: constraint)
        let batched = Date().timeIntervalSince(start) / Double(users)
        precondition(results.allSatisfy { $0.allSatisfy { trie.contains($0.tokens) } }, "constrained search left the trie")
        start = Date()
        for input in inputs { _ = try model.generate(inputs: [input], configuration: configuration, constraint: constraint) }
        let single = Date().timeIntervalSince(start) / Double(users)
        defer { if profile { try? printProfile(of: "constrained_beam_search", repetitions: 1) { _ = try model.generate(inputs: inputs, configuration: configuration, constraint: constraint) } } }
        try printJSONLine(["anchor": "swift", "what": "constrained_beam_search", "config": config.rawValue, "items": items, "beams": beams, "src": src,
                   "users": users, "ms_per_user": round2(batched * 1000), "users_per_s": round2(1 / batched),
                   "ms_per_user_one_at_a_time": round2(single * 1000), "threads": threads,
                   "precision": MatrixProducts.precision.rawValue])
    }

    private func timeTraining(_ model: T5Model, peak: Double) throws {
        let c = model.configuration, random = RandomSource(seed: 1)
        func randomIDs(_ count: Int) -> [Int32] { (0..<count).map { _ in Int32(2 + Int(random.next() % UInt64(c.vocabularySize - 2))) } }
        let batchData = T5Batch(inputIDs: randomIDs(batch * src), attentionMask: [Bool](repeating: true, count: batch * src),
                                labels: randomIDs(batch * tgt), batchSize: batch)
        let optimizer = AdamW(parameters: model.parameters, learningRate: 1e-3)
        model.dropout.isTraining = true
        func step() {
            OpProfile.measure("zero gradients") { model.zeroGradients() }
            model(batchData).loss.backward()
            OpProfile.measure("AdamW update") { optimizer.update() }
        }
        step()
        let start = Date()
        for _ in 0..<steps { step() }
        let seconds = Date().timeIntervalSince(start) / Double(steps)
        let gflops = c.trainingFLOPs(batch: batch, sourceLength: src, targetLength: tgt) / seconds / 1e9
        defer { if profile { try? printProfile(of: "train_step", repetitions: steps, step) } }
        try printJSONLine(["anchor": "swift", "what": "train_step", "config": config.rawValue, "params": model.parameterCount, "batch": batch, "src": src, "tgt": tgt,
                   "s_per_step": round4(seconds), "examples_per_s": round2(Double(batch) / seconds),
                   "tokens_per_s": round2(Double(batch * (src + tgt)) / seconds), "gflops_per_s": round2(gflops),
                   "share_of_peak": round4(gflops / peak), "threads": threads,
                   "precision": MatrixProducts.precision.rawValue])
    }
}

extension BenchCommand {
    /// Runs `work` `repetitions` more times op by op (apart from the timed runs: the profile's clock reads cost a
    /// little) and prints one line per op or stage of `measurement`: calls, forward and backward seconds per
    /// repetition, share of the time.
    func printProfile(of measurement: String, repetitions: Int, _ work: () throws -> Void) throws {
        OpProfile.isOn = true
        defer { OpProfile.isOn = false }
        OpProfile.reset()
        let start = Date()
        for _ in 0..<repetitions { try work() }
        let total = Date().timeIntervalSince(start)
        OpProfile.isOn = false
        for entry in OpProfile.report {
            try printJSONLine(["anchor": "swift", "what": "profile", "of": measurement, "config": config.rawValue, "op": entry.op,
                               "calls_per_repetition": entry.calls / repetitions,
                               "forward_s": round4(entry.forwardSeconds / Double(repetitions)),
                               "backward_s": round4(entry.backwardSeconds / Double(repetitions)),
                               "share": round4((entry.forwardSeconds + entry.backwardSeconds) / total)])
        }
    }
}

func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
func round4(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }
