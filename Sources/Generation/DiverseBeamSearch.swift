import Foundation

/// Diverse (group) beam search as transformers' `generate(num_beams:, num_beam_groups:, diversity_penalty:)`
/// (its `_group_beam_search` with `BeamSearchScorer`, transformers 4.x; 5.x moved it out of the core library).
///
/// The beams are split into groups searched one after another at every step; a group's log-probabilities are
/// lowered by `diversityPenalty ×` the number of times earlier groups chose the same token at this step (Hamming
/// diversity), and those penalties stay in the beams' scores. Each group keeps its own finished hypotheses
/// (as many as it has beams); the returned sequences are the best of all groups' hypotheses.
public struct DiverseBeamSearch: Sendable {
    public let configuration: GenerationConfiguration

    public init(configuration: GenerationConfiguration) throws(GenerationError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Decodes every input in one batch; returns per input `numberOfReturnSequences` sequences, best first.
    public func generate(
        model: some Seq2SeqModel,
        inputs: [[Int32]],
        constraint: (any TokenConstraint)? = nil
    ) throws -> [[GeneratedSequence]] {
        guard !inputs.isEmpty else { return [] }
        let groups = configuration.numberOfBeamGroups
        let groupSize = configuration.numberOfBeams / groups
        let vocabularySize = model.vocabularySize
        let start = model.decoderStartTokenID
        var states = inputs.indices.map { _ in
            (0..<groups).map { _ in GroupState(groupSize: groupSize, start: start) }
        }
        // Rows of the decoder, in order: (input, group, beam). The first step decodes one row per input, shared
        // by all its beams, which all start identical.
        var layout = inputs.indices.map { RowKey(input: $0, group: 0, beam: 0) }
        var shared = true
        let decoder = try model.makeDecoder(inputs: inputs, rowsPerInput: 1)
        // Enough candidates per row that the best 2 × groupSize survive penalties on up to
        // `numberOfBeams - groupSize` distinct tokens of earlier groups.
        let perRow = configuration.numberOfBeams + groupSize

        for step in 0..<configuration.maxNewTokens {
            let feed = layout.map { states[$0.input][$0.group].running[$0.beam].last! }
            let logits = try decoder.step(feed)
            try checkLogits(logits, rows: feed.count, vocabularySize: vocabularySize)
            let requests = layout.enumerated().map { row, key in
                RowRequest(
                    logitsRow: row, input: key.input, prefix: states[key.input][key.group].running[key.beam],
                    forbidsEndOfSequence: step < configuration.minNewTokens)
            }
            let candidates = try RowScoring.candidates(
                logits: logits, vocabularySize: vocabularySize, requests: requests, k: perRow,
                endOfSequence: model.eosTokenID, constraint: constraint)

            // Where each (input, group, beam) finds its logits this step.
            var rowOf: [RowKey: Int] = [:]
            for (row, key) in layout.enumerated() { rowOf[key] = row }
            var nextLayout: [RowKey] = []
            var sources: [Int] = []
            var seen = Set<Int>()
            var orderedInputs: [Int] = []
            for key in layout where seen.insert(key.input).inserted { orderedInputs.append(key.input) }
            for input in orderedInputs {
                var currentTokens: [Int32] = []
                for group in 0..<groups {
                    if states[input][group].done {
                        // A finished group emits padding, which still counts against later groups.
                        currentTokens += Array(repeating: model.padTokenID, count: groupSize)
                        continue
                    }
                    let rows = (0..<groupSize).map { beam in
                        shared ? rowOf[RowKey(input: input, group: 0, beam: 0)]!
                            : rowOf[RowKey(input: input, group: group, beam: beam)]!
                    }
                    let chosen = try advance(
                        &states[input][group], input: input, step: step, rows: rows, candidates: candidates,
                        penalisedTokens: currentTokens, vocabularySize: vocabularySize, endOfSequence: model.eosTokenID)
                    currentTokens += states[input][group].running.map { $0.last! }
                    if !states[input][group].done {
                        for (beam, source) in chosen.enumerated() {
                            nextLayout.append(RowKey(input: input, group: group, beam: beam))
                            sources.append(rows[source])
                        }
                    }
                }
            }
            if nextLayout.isEmpty || step == configuration.maxNewTokens - 1 { break }
            decoder.selectRows(sources)
            layout = nextLayout
            shared = false
        }
        return states.map { finalize($0) }
    }

    struct RowKey: Hashable {
        var input: Int
        var group: Int
        var beam: Int
    }

    /// Finished hypotheses of one group, as transformers' `BeamHypotheses`: at most `capacity`, in insertion
    /// order, the worst evicted when a better one arrives; scores in double precision as Python computes them.
    struct Hypotheses {
        var entries: [(score: Double, tokens: [Int32])] = []
        var worstScore = 1.0e9
        let capacity: Int

        mutating func add(_ tokens: [Int32], sumLogProbabilities: Float, generatedLength: Int, lengthPenalty: Float) {
            let score = Double(sumLogProbabilities) / Foundation.pow(Double(generatedLength), Double(lengthPenalty))
            guard entries.count < capacity || score > worstScore else { return }
            entries.append((score, tokens))
            if entries.count > capacity {
                // Python sorts (score, index) pairs: the lowest score goes, the earliest among equals.
                let ranked = entries.indices.sorted {
                    entries[$0].score < entries[$1].score || (entries[$0].score == entries[$1].score && $0 < $1)
                }
                worstScore = entries[ranked[1]].score
                entries.remove(at: ranked[0])
            } else {
                worstScore = min(score, worstScore)
            }
        }

        func isDone(bestSum: Float, generatedLength: Int, configuration: GenerationConfiguration) -> Bool {
            guard entries.count >= capacity else { return false }
            let length: Int
            switch configuration.earlyStopping {
            case .enabled: return true
            case .heuristic: length = generatedLength
            case .never: length = configuration.lengthPenalty > 0 ? configuration.maxNewTokens : generatedLength
            }
            let highest = Double(bestSum) / Foundation.pow(Double(length), Double(configuration.lengthPenalty))
            return worstScore >= highest
        }
    }

    struct GroupState {
        var running: [[Int32]]
        var scores: [Float]
        var hypotheses: Hypotheses
        var done = false

        init(groupSize: Int, start: Int32) {
            running = Array(repeating: [start], count: groupSize)
            // Only the first beam of each group starts live, so a group's beams do not all pick the same token.
            scores = [0] + Array(repeating: BeamSearch.excluded, count: groupSize - 1)
            hypotheses = Hypotheses(capacity: groupSize)
        }
    }

    /// One step of one group; returns, for each new running beam, the index of the beam it continues.
    private func advance(
        _ state: inout GroupState,
        input: Int,
        step: Int,
        rows: [Int],
        candidates: RowCandidates,
        penalisedTokens: [Int32],
        vocabularySize: Int,
        endOfSequence: Int32
    ) throws(GenerationError) -> [Int] {
        let groupSize = rows.count
        var frequency: [Int32: Int] = [:]
        for token in penalisedTokens { frequency[token, default: 0] += 1 }
        let penalty = configuration.diversityPenalty
        var pool: [BeamSearch.Candidate] = []
        for beam in 0..<groupSize {
            let row = rows[beam]
            for index in 0..<candidates.counts[row] {
                let token = candidates.tokens[row * candidates.k + index]
                var logProbability = candidates.logProbability(candidates.logits[row * candidates.k + index], row: row)
                if let count = frequency[token] { logProbability -= penalty * Float(count) }
                pool.append(BeamSearch.Candidate(
                    score: logProbability + state.scores[beam], beam: beam, token: token,
                    flatIndex: beam * vocabularySize + Int(token)))
            }
        }
        let keep = 2 * groupSize
        var top = BeamSearch.best(pool, count: keep)
        if top.count < keep {
            top += BeamSearch.maskedFill(excluding: top, count: keep - top.count, beams: groupSize, vocabularySize: vocabularySize)
        }

        let generated = step + 1
        var running: [[Int32]] = []
        var scores: [Float] = []
        var sources: [Int] = []
        for (rank, candidate) in top.enumerated() {
            let prefix = state.running[candidate.beam]
            if candidate.token == endOfSequence {
                // Only an end-of-sequence among the best `groupSize` finishes a hypothesis.
                if rank >= groupSize { continue }
                state.hypotheses.add(
                    prefix + [endOfSequence], sumLogProbabilities: candidate.score,
                    generatedLength: generated, lengthPenalty: configuration.lengthPenalty)
            } else {
                running.append(prefix + [candidate.token])
                scores.append(candidate.score)
                sources.append(candidate.beam)
            }
            if running.count == groupSize { break }
        }
        guard running.count == groupSize else { throw .exhaustedCandidates(input: input) }
        state.running = running
        state.scores = scores
        state.done = state.done
            || state.hypotheses.isDone(bestSum: top[0].score, generatedLength: generated, configuration: configuration)
        return sources
    }

    /// Adds the open beams of unfinished groups, then ranks all groups' hypotheses as transformers' `finalize`:
    /// a stable ascending sort popped from the end, so among equal scores the later hypothesis comes first.
    private func finalize(_ groups: [GroupState]) -> [GeneratedSequence] {
        var all: [(score: Double, tokens: [Int32])] = []
        for var group in groups {
            if !group.done {
                for (tokens, score) in zip(group.running, group.scores) {
                    group.hypotheses.add(
                        tokens, sumLogProbabilities: score, generatedLength: tokens.count - 1,
                        lengthPenalty: configuration.lengthPenalty)
                }
            }
            all += group.hypotheses.entries
        }
        let order = all.indices.sorted { all[$0].score > all[$1].score || (all[$0].score == all[$1].score && $0 > $1) }
        return order.prefix(configuration.numberOfReturnSequences).map {
            GeneratedSequence(tokens: all[$0].tokens, score: Float(all[$0].score))
        }
    }
}
