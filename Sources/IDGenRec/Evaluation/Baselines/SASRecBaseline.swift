import Foundation
import RecData

/// SASRec trained on the split's training sequences, then ranking the whole catalogue: the conventional sequential
/// recommender a practitioner would compare against (and the source of item embeddings for the generative model).
/// The same row with BSARec's settings (`SASRec.Settings.bsarec`) is the `bsarec` baseline.
public struct SASRecBaseline: Baseline {
    public let name: String
    public var settings: SASRec.Settings
    /// Where training reports each epoch (standard error on the command line).
    public var progress: (@Sendable (String) -> Void)?

    public init(name: String = "sasrec", settings: SASRec.Settings = SASRec.Settings(), progress: (@Sendable (String) -> Void)? = nil) {
        self.name = name
        self.settings = settings
        self.progress = progress
    }

    public func rank(_ samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, count: Int,
                     excludingHistory: Bool) throws -> BaselineLists {
        let started = Date()
        let model = try SASRec(items: split.dataset.numberOfItems, settings: settings)
        let summary = try model.train(on: split, progress: progress)
        let seconds = Date().timeIntervalSince(started)
        let histories = samples.map { split.allItemsBefore($0) }
        let lists = model.recommendations(histories: histories, excluded: histories.map { excludingHistory ? Set($0) : [] }, count: count)
        return BaselineLists(lists: lists, notes: ["training_seconds": (seconds * 10).rounded() / 10,
                                                   "epochs": Double(summary.epochs), "kept_epoch": Double(summary.keptEpoch)])
    }
}
