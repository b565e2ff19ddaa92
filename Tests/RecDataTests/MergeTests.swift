import Testing
@testable import RecData

@Suite("Merging datasets")
struct MergeTests {
    @Test func usersArePrefixedAndSharedItemsJoined() throws {
        let a = try Dataset(catalogue: Catalogue(items: [Item(id: "x", title: "X from a"), Item(id: "y")]),
                            userIDs: ["u1"], sequences: [[0, 1]])
        let b = try Dataset(catalogue: Catalogue(items: [Item(id: "z"), Item(id: "x", title: "X from b")]),
                            userIDs: ["u1"], sequences: [[1, 0, 1]])
        let (merged, report) = try DatasetMerge.merge([(a, "a_"), (b, "b_")])
        #expect(merged.userIDs == ["a_u1", "b_u1"])
        #expect(merged.catalogue.items.map(\.id) == ["x", "y", "z"])
        #expect(merged.catalogue.items[0].title == "X from a")
        #expect(report.sharedItems == 1)
        #expect(Array(merged.sequence(ofUser: 1)) == [0, 2, 0])
    }

    @Test func collidingUserIDsAreAnError() throws {
        let a = try Dataset(catalogue: Catalogue(items: [Item(id: "x")]), userIDs: ["u1"], sequences: [[0]])
        #expect(throws: DatasetError.self) { try DatasetMerge.merge([(a, "p_"), (a, "p_")]) }
    }
}
