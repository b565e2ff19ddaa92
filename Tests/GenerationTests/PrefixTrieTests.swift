import Generation
import XCTest

final class PrefixTrieTests: XCTestCase {
    func testInsertChildrenAndExhaustion() {
        var trie = PrefixTrie<Int32>()
        XCTAssertTrue(trie.insert([0, 10, 179, 1]))
        XCTAssertTrue(trie.insert([0, 10, 187, 1]))
        XCTAssertTrue(trie.insert([0, 268, 1]))
        XCTAssertFalse(trie.insert([0, 268, 1]), "duplicates are not counted twice")
        XCTAssertTrue(trie.insert([0, 10]))
        XCTAssertEqual(trie.count, 4)

        XCTAssertEqual(Array(trie.children(of: [] as [Int32])), [0])
        XCTAssertEqual(Array(trie.children(of: [0])), [10, 268])
        XCTAssertEqual(Array(trie.children(of: [0, 10])), [179, 187], "children come out sorted")
        XCTAssertEqual(Array(trie.children(of: [0, 99])), [])

        XCTAssertTrue(trie.contains([0, 10]))
        XCTAssertTrue(trie.contains([0, 10, 179, 1]))
        XCTAssertFalse(trie.contains([0, 10, 179]), "a prefix is not a member")
        XCTAssertFalse(trie.isExhausted([0, 10]), "complete but still continued")
        XCTAssertTrue(trie.isExhausted([0, 268, 1]))
        XCTAssertTrue(trie.isExhausted([0, 5]), "absent prefixes are exhausted")

        let node = trie.node(for: [0, 10])!
        XCTAssertTrue(trie.isComplete(node))
        XCTAssertEqual(trie.child(of: node, 187).map { Array(trie.children(of: $0)) }, [1])
        XCTAssertNil(trie.child(of: node, 1))
    }

    func testConstraintAllowsOnlyEndOfSequenceOffTheTrie() {
        let trie = PrefixTrie<Int32>([[0, 3, 4, 1], [0, 3, 5, 1]])
        let constraint = PrefixTrieConstraint(trie: trie, endOfSequenceTokenID: 1)
        XCTAssertEqual(Array(constraint.allowedTokens(input: 0, prefix: [0, 3])), [4, 5])
        XCTAssertEqual(Array(constraint.allowedTokens(input: 0, prefix: [0, 3, 4, 1])), [1])
        XCTAssertEqual(Array(constraint.allowedTokens(input: 0, prefix: [0, 9])), [1])
    }

    func testGenericElements() {
        let trie = PrefixTrie<String>([["tea", "tree", "oil"], ["tea", "tree", "body", "wash"], ["thick"]])
        XCTAssertEqual(Array(trie.children(of: ["tea", "tree"])), ["body", "oil"])
        XCTAssertEqual(trie.nodeCount, 7)
    }
}
