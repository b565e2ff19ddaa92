import Foundation
import RecData
import T5
import TensorEngine

/// What lets an ID phase only help: a regenerated ID replaces an item's ID only where the recommender, as trained on
/// the current IDs, finds the new ID the likelier answer to the training samples whose target is that item (their
/// summed log-probability, teacher-forced: what beam search ranks); elsewhere the item keeps its ID, so that the
/// recommender never relearns an ID for nothing. IDs stay unique: a new ID that an unchanged item holds is not taken.
public enum IDChangeFilter {
    /// Each item's ID after the filter, and how many of the changed IDs it let through.
    public struct Outcome {
        public var textualIDs: [String]
        public var changed: Int
        public var accepted: Int
    }

    public static func filter(current: IDDictionary, proposed: IDDictionary, recommender: Recommender, split: LeaveOneOutSplit,
                              samples: [LeaveOneOutSplit.Sample], hints: (LeaveOneOutSplit.Sample) -> [Int32], batchSize: Int) throws -> Outcome {
        let changed = Set(current.textualIDs.indices.filter { current.textualIDs[$0] != proposed.textualIDs[$0] })
        var gain = [Int: Double]()   // item → Σ over its samples of log p(new ID) − log p(old ID)
        let relevant = samples.filter { changed.contains(Int(split.target(of: $0))) }
        for start in stride(from: 0, to: relevant.count, by: max(batchSize, 1)) {
            let batch = Array(relevant[start..<min(start + batchSize, relevant.count)])
            let sources = batch.map { recommender.source(history: split.history(of: $0), ids: current, hints: hints($0)) }
            let old = logProbabilities(of: batch.map { recommender.target(item: split.target(of: $0), ids: current) }, after: sources, recommender)
            let new = logProbabilities(of: batch.map { recommender.target(item: split.target(of: $0), ids: proposed) }, after: sources, recommender)
            for (index, sample) in batch.enumerated() { gain[Int(split.target(of: sample)), default: 0] += new[index] - old[index] }
        }
        // The items the recommender prefers the new ID for switch together (two items may trade IDs); one whose new ID
        // an unswitched item still holds keeps its own, until no two items share an ID (all unswitched is unique).
        var switched = Set(changed.filter { (gain[$0] ?? 0) > 0 })
        func assignment() -> [String] { current.textualIDs.indices.map { switched.contains($0) ? proposed.textualIDs[$0] : current.textualIDs[$0] } }
        while true {
            var holders: [String: [Int]] = [:]
            for (item, id) in assignment().enumerated() { holders[id.lowercased(), default: []].append(item) }
            let clashing = holders.values.filter { $0.count > 1 }.flatMap { $0 }.filter(switched.contains)
            if clashing.isEmpty { break }
            switched.subtract(clashing)
        }
        return Outcome(textualIDs: assignment(), changed: changed.count, accepted: switched.count)
    }

    /// Each target's summed log-probability after its source, teacher-forced, without dropout.
    static func logProbabilities(of targets: [[Int32]], after sources: [[Int32]], _ recommender: Recommender) -> [Double] {
        let model = recommender.model
        var sources = sources
        let logProbabilities = withoutGradient {
            model.withDropout(false) {
                let softRows = recommender.extraInputRows(renumbering: &sources)
                return model(T5Batch(sources: sources, targets: targets, padTokenID: model.padTokenID), extraRows: softRows).logits.logSoftmax()
            }
        }
        let vocabulary = model.vocabularySize, length = targets.map(\.count).max() ?? 0
        return logProbabilities.scalars.withUnsafeBufferPointer { values in
            targets.enumerated().map { row, target in
                target.enumerated().reduce(0.0) { total, step in total + Double(values[(row * length + step.offset) * vocabulary + Int(step.element)]) }
            }
        }
    }
}
