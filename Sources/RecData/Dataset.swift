/// Users, the catalogue, and each user's interactions in time order, oldest first.
///
/// Sequences live in one flat array of item indices with an offset per user (compressed rows), so a million
/// interactions take about 4 MB and no per-user array is allocated.
public struct Dataset: Sendable {
    public let catalogue: Catalogue
    /// User ids in the order users first appeared in the input.
    public let userIDs: [String]
    /// Every user's item indices, user after user.
    public let sequenceItems: [Int32]
    /// `sequenceItems[sequenceOffsets[u] ..< sequenceOffsets[u + 1]]` is user `u`'s sequence.
    public let sequenceOffsets: [Int]
    private let indexByUserID: [String: Int32]

    /// Builds a dataset from flat sequences, checking that every index and offset is in range.
    public init(catalogue: Catalogue, userIDs: [String], sequenceItems: [Int32], sequenceOffsets: [Int]) throws(DatasetError) {
        guard sequenceOffsets.count == userIDs.count + 1, sequenceOffsets.first == 0,
              sequenceOffsets.last == sequenceItems.count
        else {
            throw .invalidArgument(name: "sequenceOffsets", reason: "need one offset per user plus one, from 0 to the number of interactions")
        }
        for user in 0..<userIDs.count where sequenceOffsets[user] > sequenceOffsets[user + 1] {
            throw .invalidArgument(name: "sequenceOffsets", reason: "offsets must not decrease (user \(user))")
        }
        let itemCount = Int32(catalogue.count)
        if let bad = sequenceItems.first(where: { $0 < 0 || $0 >= itemCount }) {
            throw .invalidArgument(name: "sequenceItems", reason: "item index \(bad) is outside the catalogue of \(itemCount) items")
        }
        var indexByUserID = [String: Int32](minimumCapacity: userIDs.count)
        for (position, id) in userIDs.enumerated() {
            if indexByUserID.updateValue(Int32(position), forKey: id) != nil {
                throw .invalidArgument(name: "userIDs", reason: "user id '\(id)' appears twice")
            }
        }
        self.catalogue = catalogue
        self.userIDs = userIDs
        self.sequenceItems = sequenceItems
        self.sequenceOffsets = sequenceOffsets
        self.indexByUserID = indexByUserID
    }

    /// Builds a dataset from one array of item indices per user; convenient for small, hand-made data.
    public init(catalogue: Catalogue, userIDs: [String], sequences: [[Int32]]) throws(DatasetError) {
        guard userIDs.count == sequences.count else {
            throw .invalidArgument(name: "sequences", reason: "\(sequences.count) sequences for \(userIDs.count) users")
        }
        var offsets = [0]
        offsets.reserveCapacity(sequences.count + 1)
        for sequence in sequences { offsets.append(offsets[offsets.count - 1] + sequence.count) }
        try self.init(catalogue: catalogue, userIDs: userIDs, sequenceItems: sequences.flatMap { $0 }, sequenceOffsets: offsets)
    }

    public var numberOfUsers: Int { userIDs.count }
    public var numberOfItems: Int { catalogue.count }
    public var numberOfInteractions: Int { sequenceItems.count }

    /// The user's item indices, oldest first; a view into `sequenceItems`, not a copy.
    public func sequence(ofUser user: Int) -> ArraySlice<Int32> {
        sequenceItems[sequenceOffsets[user]..<sequenceOffsets[user + 1]]
    }

    public func sequenceLength(ofUser user: Int) -> Int {
        sequenceOffsets[user + 1] - sequenceOffsets[user]
    }

    /// The dense index of the user with this id, or `nil` when there is none.
    public func userIndex(of userID: String) -> Int32? { indexByUserID[userID] }

    /// The dataset restricted to the given users (in the given order) and the items they interacted with.
    ///
    /// Items keep their relative catalogue order, so a subset of a converted dataset lists items as the original does.
    public func restricted(toUsers users: [Int]) throws(DatasetError) -> Dataset {
        var used = [Bool](repeating: false, count: numberOfItems)
        for user in users {
            guard user >= 0, user < numberOfUsers else {
                throw .invalidArgument(name: "users", reason: "user index \(user) is outside 0..<\(numberOfUsers)")
            }
            for item in sequence(ofUser: user) { used[Int(item)] = true }
        }
        var newIndex = [Int32](repeating: -1, count: numberOfItems)
        var items: [Item] = []
        for (old, isUsed) in used.enumerated() where isUsed {
            newIndex[old] = Int32(items.count)
            items.append(catalogue[old])
        }
        var flat: [Int32] = []
        var offsets = [0]
        for user in users {
            for item in sequence(ofUser: user) { flat.append(newIndex[Int(item)]) }
            offsets.append(flat.count)
        }
        return try Dataset(
            catalogue: Catalogue(items: items), userIDs: users.map { userIDs[$0] },
            sequenceItems: flat, sequenceOffsets: offsets
        )
    }
}
