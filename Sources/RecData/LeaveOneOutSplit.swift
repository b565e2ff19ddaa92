/// The leave-one-out split of a dataset: per user, the last item is the test target, the second-to-last the
/// validation target, and every earlier item from the second on a training target.
///
/// For a user with items `i1 ... in`: training targets are `i2 ... i(n-2)`, validation target `i(n-1)`, test target
/// `in`, each with the up to `maximumHistoryLength` items before it as history (never empty). A training sample's
/// history and target both lie in `i1 ... i(n-2)`, so nothing of a user's validation or test items reaches training.
/// Users with fewer than 3 interactions cannot give a validation and a test sample with history; they are left
/// out of all three parts and counted in ``usersWithTooFewInteractions``.
///
/// Samples are pairs of integers pointing into the dataset, so 150k training samples take about 1 MB.
public struct LeaveOneOutSplit: Sendable {
    /// One prediction task: the item at `targetPosition` of `user`'s sequence, from the items before it.
    public struct Sample: Sendable, Hashable {
        public let user: Int32
        /// Position of the target in the user's sequence (0-based, at least 1).
        public let targetPosition: Int32
    }

    public let dataset: Dataset
    public let maximumHistoryLength: Int
    public let training: [Sample]
    public let validation: [Sample]
    public let test: [Sample]
    /// Users left out because they have fewer than 3 interactions.
    public let usersWithTooFewInteractions: Int

    /// The fewest interactions a user needs: a validation and a test target, each with a non-empty history.
    public static let minimumSequenceLength = 3

    public init(dataset: Dataset, maximumHistoryLength: Int = 20) throws(DatasetError) {
        guard maximumHistoryLength >= 1 else {
            throw .invalidArgument(name: "maximumHistoryLength", reason: "must be at least 1, was \(maximumHistoryLength)")
        }
        var training: [Sample] = []
        var validation: [Sample] = []
        var test: [Sample] = []
        training.reserveCapacity(max(0, dataset.numberOfInteractions - 3 * dataset.numberOfUsers))
        validation.reserveCapacity(dataset.numberOfUsers)
        test.reserveCapacity(dataset.numberOfUsers)
        var tooShort = 0
        for user in 0..<dataset.numberOfUsers {
            let length = dataset.sequenceLength(ofUser: user)
            guard length >= Self.minimumSequenceLength else {
                tooShort += 1
                continue
            }
            let id = Int32(user)
            for position in 1..<(length - 2) { training.append(Sample(user: id, targetPosition: Int32(position))) }
            validation.append(Sample(user: id, targetPosition: Int32(length - 2)))
            test.append(Sample(user: id, targetPosition: Int32(length - 1)))
        }
        self.dataset = dataset
        self.maximumHistoryLength = maximumHistoryLength
        self.training = training
        self.validation = validation
        self.test = test
        self.usersWithTooFewInteractions = tooShort
    }

    /// The target's item index.
    public func target(of sample: Sample) -> Int32 {
        dataset.sequenceItems[dataset.sequenceOffsets[Int(sample.user)] + Int(sample.targetPosition)]
    }

    /// The items before the target, oldest first, at most `maximumHistoryLength` of them; a view, not a copy.
    public func history(of sample: Sample) -> ArraySlice<Int32> {
        let start = dataset.sequenceOffsets[Int(sample.user)]
        let end = start + Int(sample.targetPosition)
        return dataset.sequenceItems[max(start, end - maximumHistoryLength)..<end]
    }

    /// Every item before the target, oldest first, however many: what a recommender must not offer again.
    public func allItemsBefore(_ sample: Sample) -> ArraySlice<Int32> {
        let start = dataset.sequenceOffsets[Int(sample.user)]
        return dataset.sequenceItems[start..<(start + Int(sample.targetPosition))]
    }

    /// The user's items that training may see (`i1 ... i(n-2)`); empty for users left out of the split.
    /// Counting popularity or fitting item statistics on these keeps validation and test items unseen.
    public func trainingSequence(ofUser user: Int) -> ArraySlice<Int32> {
        let sequence = dataset.sequence(ofUser: user)
        guard sequence.count >= Self.minimumSequenceLength else { return sequence[sequence.startIndex..<sequence.startIndex] }
        return sequence.dropLast(2)
    }
}
