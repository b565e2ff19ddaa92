import Foundation
import RecData
import TensorEngine

extension SASRec {
    /// What training did: the epochs run, the epoch whose model was kept, and its validation NDCG@10.
    public struct TrainingSummary: Sendable {
        public var epochs: Int
        public var keptEpoch: Int
        public var validationNDCG: Double?
    }

    /// Trains on every user's training sequence (all items but the last two: no validation or test target is ever a
    /// training target), the most recent `maximumLength + 1` items of each: a SASRec reads each sequence's items but
    /// the newest and learns every next item at once; a BSARec learns each next item from its own prefix. Adam at a
    /// constant learning rate, shuffled batches seeded by (seed, epoch). With `patience`, the model is checked on a
    /// seeded random subset of validation users every `validationEvery` epochs, training stops after `patience` checks
    /// without improvement, and the best model is kept. `progress` gets one line per epoch.
    @discardableResult
    public func train(on split: LeaveOneOutSplit, progress: ((String) -> Void)? = nil) throws -> TrainingSummary {
        let sequences = (0..<split.dataset.numberOfUsers).map { split.trainingSequence(ofUser: $0).suffix(settings.maximumLength + 1) }
            .filter { $0.count >= 2 }
        guard !sequences.isEmpty else { return TrainingSummary(epochs: 0, keptEpoch: 0, validationNDCG: nil) }
        let fromPrefixes = settings.architecture.seesWholeWindow
        let examples = fromPrefixes
            ? sequences.flatMap { sequence in
                (sequence.startIndex + 1..<sequence.endIndex).map { (input: sequence[..<$0], targets: sequence[$0...$0]) }
            }
            : sequences.map { (input: $0.dropLast(), targets: $0.dropFirst()) }
        var checked = split.validation
        var random = RandomSource(seed: settings.seed &+ 23)
        checked.shuffle(using: &random)
        checked = Array(checked.prefix(settings.validationUsers))
        let optimizer = AdamW(parameters: parameters, learningRate: settings.learningRate, epsilon: 1e-8, weightDecay: 0)
        var best: (score: Double, epoch: Int, weights: [[Float]])?
        var epochs = 0, checksWithoutGain = 0
        for epoch in 0..<settings.epochs {
            let seed = Batching.seed(settings.seed, phase: 0, epoch: epoch)
            dropout.random.reseed(seed &+ 1)
            dropout.isTraining = true
            var total: Float = 0
            // Batches of similar lengths pad less; a BSARec's are all the whole window long.
            let batches = Batching.batches(count: examples.count, batchSize: settings.batchSize, seed: seed) {
                fromPrefixes ? 0 : examples[$0].input.count
            }
            for batch in batches {
                zeroGradients()
                let inputs = batch.map { examples[$0].input }, targets = batch.map { examples[$0].targets }
                let value = fromPrefixes
                    ? nextItemLoss(histories: inputs, next: targets.map { $0.first! })
                    : loss(sequences: inputs, targets: targets)
                value.backward()
                optimizer.update()
                total += value.item
            }
            dropout.isTraining = false
            epochs = epoch + 1
            var line = String(format: "\(settings.architecture.name) epoch %d/%d: loss %.4f", epochs, settings.epochs, total / Float(max(batches.count, 1)))
            if settings.patience > 0, !checked.isEmpty, epochs % settings.validationEvery == 0 || epochs == settings.epochs {
                let score = try validationNDCG(checked, in: split)
                line += String(format: ", validation NDCG@10 %.4f (%d users)", score, checked.count)
                if score > best?.score ?? -1 {
                    best = (score, epochs, parameters.map(\.scalars))
                    checksWithoutGain = 0
                } else {
                    checksWithoutGain += 1
                }
            }
            progress?(line)
            if settings.patience > 0, checksWithoutGain >= settings.patience { break }
        }
        if let best, best.epoch != epochs { zip(parameters, best.weights).forEach { $0.assign($1) } }
        return TrainingSummary(epochs: epochs, keptEpoch: best?.epoch ?? epochs, validationNDCG: best?.score)
    }

    /// NDCG@10 on validation samples, history items excluded, as the evaluation protocol measures it.
    private func validationNDCG(_ samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit) throws -> Double {
        let histories = samples.map { split.allItemsBefore($0) }
        var ranking = try RankingEvaluation(cutoffs: [10])
        try ranking.record(samples: samples, in: split, rankedItems: recommendations(histories: histories, excluded: histories.map(Set.init), count: 10))
        return ranking.result().normalizedDiscountedCumulativeGain(at: 10) ?? 0
    }

    /// The top `count` items for each history (catalogue indices, oldest first), best first, leaving out `excluded[i]`.
    public func recommendations(histories: [ArraySlice<Int32>], excluded: [Set<Int32>], count: Int, batchSize: Int = 256) -> [[Int32]] {
        var lists: [[Int32]] = []
        lists.reserveCapacity(histories.count)
        for start in stride(from: 0, to: histories.count, by: batchSize) {
            let range = start..<min(histories.count, start + batchSize)
            let scores = self.scores(histories: Array(histories[range]))
            for (offset, row) in scores.enumerated() {
                let skip = excluded[range.lowerBound + offset]
                lists.append(Self.top(count, of: row, skipping: skip))
            }
        }
        return lists
    }

    /// The indices of the `count` largest scores, largest first (ties to the lower index), skipping `skip`.
    static func top(_ count: Int, of scores: [Float], skipping skip: Set<Int32>) -> [Int32] {
        TopItems.largest(count, of: scores) { !skip.contains(Int32($0)) }.map(Int32.init)
    }
}
