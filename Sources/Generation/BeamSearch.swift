import Foundation
import TensorEngine

/// Beam search as transformers' `generate(num_beams:, num_return_sequences:, length_penalty:, early_stopping:)`
/// for an encoder-decoder, reproducing its vectorised implementation (the one in transformers 5) step by step.
///
/// Per input and step: the `2 × numberOfBeams` best continuations over all beams (accumulated log-probabilities
/// in float32); the best `numberOfBeams` of them that did not just finish keep running; those among the first
/// `numberOfBeams` that did finish (end-of-sequence, or the length limit) compete, length-normalised, for the
/// `numberOfBeams` slots of finished hypotheses. An input stops as ``EarlyStopping`` says, and its rows leave the
/// batch at once.
public struct BeamSearch: Sendable {
    public let configuration: GenerationConfiguration

    /// Transformers' placeholder score: beams that must not be chosen carry it (or sums of it).
    static let excluded: Float = -1.0e9

    public init(configuration: GenerationConfiguration) throws(GenerationError) {
        try configuration.validate()
        guard configuration.numberOfBeamGroups == 1 else {
            throw .invalidConfiguration("BeamSearch takes one beam group; use DiverseBeamSearch for several")
        }
        self.configuration = configuration
    }

    /// Decodes every input in one batch; returns per input `numberOfReturnSequences` sequences, best first.
    public func generate(
        model: some Seq2SeqModel,
        inputs: [[Int32]],
        constraint: (any TokenConstraint)? = nil
    ) throws -> [[GeneratedSequence]] {
        guard !inputs.isEmpty else { return [] }
        let beams = configuration.numberOfBeams
        let vocabularySize = model.vocabularySize
        let endOfSequence = model.eosTokenID
        let start = model.decoderStartTokenID
        var states = inputs.indices.map { _ in InputState(beams: beams, start: start) }
        // All beams of an input start identical, so the first step decodes one row per input and the beams share
        // its logits; the first reordering then fans each row out to the beams.
        let decoder = try OpProfile.measure("search: encoder, cross-attention keys and values") {
            try model.makeDecoder(inputs: inputs, rowsPerInput: 1)
        }
        var active = Array(inputs.indices)
        var rowsPerInput = 1

        for step in 0..<configuration.maxNewTokens {
            var feed: [Int32] = []
            feed.reserveCapacity(active.count * rowsPerInput)
            for input in active {
                for beam in 0..<rowsPerInput { feed.append(states[input].running[beam].last!) }
            }
            let logits = try decoder.step(feed)
            try checkLogits(logits, rows: feed.count, vocabularySize: vocabularySize)

            var requests: [RowRequest] = []
            requests.reserveCapacity(feed.count)
            for (slot, input) in active.enumerated() {
                for beam in 0..<rowsPerInput {
                    requests.append(RowRequest(
                        logitsRow: slot * rowsPerInput + beam, input: input, prefix: states[input].running[beam],
                        forbidsEndOfSequence: step < configuration.minNewTokens))
                }
            }
            let candidates = try OpProfile.measure("search: log-softmax, trie, top-k per row") {
                try RowScoring.candidates(logits: logits, vocabularySize: vocabularySize, requests: requests, k: 2 * beams,
                                          endOfSequence: endOfSequence, constraint: constraint)
            }

            var sources: [Int] = []
            var stillActive: [Int] = []
            OpProfile.measure("search: beam bookkeeping") {
                for (slot, input) in active.enumerated() {
                    let beamSources = advance(
                        &states[input], step: step, candidates: candidates,
                        firstRow: slot * rowsPerInput, rowsPerInput: rowsPerInput,
                        vocabularySize: vocabularySize, endOfSequence: endOfSequence)
                    if !states[input].done {
                        stillActive.append(input)
                        sources.append(contentsOf: beamSources.map { slot * rowsPerInput + (rowsPerInput == 1 ? 0 : $0) })
                    }
                }
            }
            active = stillActive
            if active.isEmpty || step == configuration.maxNewTokens - 1 { break }
            OpProfile.measure("search: reordering cached keys and values") { decoder.selectRows(sources) }
            rowsPerInput = beams
        }
        return states.map { state in
            (0..<configuration.numberOfReturnSequences).map {
                GeneratedSequence(tokens: state.finishedTokens[$0], score: state.finishedScores[$0])
            }
        }
    }

    /// The beam search state of one input: running beams and the slots of finished hypotheses, both kept sorted
    /// best first as transformers' top-k leaves them.
    struct InputState {
        var running: [[Int32]]
        var runningScores: [Float]
        var finishedTokens: [[Int32]]
        var finishedScores: [Float]
        var finishedFlags: [Bool]
        /// Transformers' `is_early_stop_heuristic_unsatisfied`: once false, nothing can enter the finished slots.
        var improvable = true
        var done = false

        init(beams: Int, start: Int32) {
            running = Array(repeating: [start], count: beams)
            // Only the first beam starts live, so the first step does not pick the same token in every beam.
            runningScores = [0] + Array(repeating: BeamSearch.excluded, count: beams - 1)
            finishedTokens = Array(repeating: [start], count: beams)
            finishedScores = Array(repeating: BeamSearch.excluded, count: beams)
            finishedFlags = Array(repeating: false, count: beams)
        }
    }

    struct Candidate {
        var score: Float
        var beam: Int
        var token: Int32
        /// Position in transformers' flattened `beams × vocabulary` scores: the tie-breaker.
        var flatIndex: Int
    }

    /// One step of one input; returns, for each new running beam, the old beam (row) it continues.
    private func advance(
        _ state: inout InputState,
        step: Int,
        candidates rows: RowCandidates,
        firstRow: Int,
        rowsPerInput: Int,
        vocabularySize: Int,
        endOfSequence: Int32
    ) -> [Int] {
        let beams = configuration.numberOfBeams
        let keep = 2 * beams
        var pool: [Candidate] = []
        pool.reserveCapacity(beams * keep)
        for beam in 0..<beams {
            // Before the first reordering all beams read the input's single row.
            let row = firstRow + (rowsPerInput == 1 ? 0 : beam)
            let beamScore = state.runningScores[beam]
            for index in 0..<rows.counts[row] {
                let token = rows.tokens[row * rows.k + index]
                let score = rows.logProbability(rows.logits[row * rows.k + index], row: row) + beamScore
                pool.append(Candidate(score: score, beam: beam, token: token, flatIndex: beam * vocabularySize + Int(token)))
            }
        }
        var top = Self.best(pool, count: keep)
        if top.count < keep {
            top += Self.maskedFill(excluding: top, count: keep - top.count, beams: beams, vocabularySize: vocabularySize)
        }

        let generated = step + 1
        let atLimit = generated >= configuration.maxNewTokens
        let hits = top.map { $0.token == endOfSequence || atLimit }

        // Running beams: the best candidates that did not just finish.
        var runningOrder = Array(top.indices)
        let runningScores = top.indices.map { top[$0].score + (hits[$0] ? Self.excluded : 0) }
        runningOrder.sort { runningScores[$0] > runningScores[$1] || (runningScores[$0] == runningScores[$1] && $0 < $1) }
        let chosen = runningOrder.prefix(beams)
        let newRunning = chosen.map { state.running[top[$0].beam] + [top[$0].token] }
        let newRunningScores = chosen.map { runningScores[$0] }
        let sources = chosen.map { top[$0].beam }

        // Finished slots: previous slots first, then this step's candidates, best `beams` kept.
        let denominator = lengthDenominator(generated, configuration.lengthPenalty)
        var mergedScores = state.finishedScores
        var mergedFlags = state.finishedFlags
        for (index, candidate) in top.enumerated() {
            let justFinished = hits[index] && index < beams
            mergedScores.append(candidate.score / denominator + (justFinished ? 0 : Self.excluded))
            mergedFlags.append(justFinished)
        }
        var mergedOrder = Array(mergedScores.indices)
        mergedOrder.sort { mergedScores[$0] > mergedScores[$1] || (mergedScores[$0] == mergedScores[$1] && $0 < $1) }
        let finishedOrder = mergedOrder.prefix(beams)
        state.finishedTokens = finishedOrder.map { index in
            index < beams ? state.finishedTokens[index]
                : state.running[top[index - beams].beam] + [top[index - beams].token]
        }
        state.finishedScores = finishedOrder.map { mergedScores[$0] }
        state.finishedFlags = finishedOrder.map { mergedFlags[$0] }
        state.running = newRunning
        state.runningScores = newRunningScores

        // Could a running beam still beat the worst finished hypothesis?
        let hypotheticalLength = configuration.earlyStopping == .never && configuration.lengthPenalty > 0
            ? configuration.maxNewTokens : generated
        let bestPossible = newRunningScores[0] / lengthDenominator(hypotheticalLength, configuration.lengthPenalty)
        let worstFinished = state.finishedScores.min()!
        let canImprove = state.finishedFlags.contains { bestPossible > ($0 ? worstFinished : Self.excluded) }
        state.improvable = state.improvable && canImprove
        let full = configuration.earlyStopping == .enabled && !state.finishedFlags.contains(false)
        state.done = !state.improvable || full || atLimit
        return sources
    }

    /// The `count` best candidates, best first, ties broken by the lower flattened index.
    static func best(_ pool: [Candidate], count: Int) -> [Candidate] {
        let ordered = { (a: Candidate, b: Candidate) in a.score > b.score || (a.score == b.score && a.flatIndex < b.flatIndex) }
        if pool.count <= count { return pool.sorted(by: ordered) }
        // Partial selection: keep a sorted window of `count`, insert only what beats its last element.
        var window = Array(pool.prefix(count)).sorted(by: ordered)
        for candidate in pool.dropFirst(count) where ordered(candidate, window[count - 1]) {
            var position = count - 1
            while position > 0, ordered(candidate, window[position - 1]) {
                window[position] = window[position - 1]
                position -= 1
            }
            window[position] = candidate
        }
        return window
    }

    /// When fewer continuations than needed are allowed, transformers' top-k still returns `count`, padded with
    /// masked (minus infinity) entries; their scores stay minus infinity, so they are never returned.
    /// Which masked tokens torch picks is unspecified; the lowest free flattened indices are used here.
    static func maskedFill(excluding taken: [Candidate], count: Int, beams: Int, vocabularySize: Int) -> [Candidate] {
        let takenIndices = Set(taken.map(\.flatIndex))
        var fill: [Candidate] = []
        var flatIndex = 0
        while fill.count < count, flatIndex < beams * vocabularySize {
            if !takenIndices.contains(flatIndex) {
                fill.append(Candidate(
                    score: -.infinity, beam: flatIndex / vocabularySize,
                    token: Int32(flatIndex % vocabularySize), flatIndex: flatIndex))
            }
            flatIndex += 1
        }
        return fill
    }
}
