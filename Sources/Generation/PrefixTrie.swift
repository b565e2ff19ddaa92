/// A set of sequences stored as a prefix tree, answering "which elements may follow this prefix?" quickly.
///
/// Nodes live in flat arrays indexed by node number (the root is node 0); each node keeps its children's
/// elements sorted, with their node numbers alongside, so a lookup is a binary search and the allowed
/// continuations of a prefix come out as a ready-made sorted slice, without allocating.
public struct PrefixTrie<Element: Comparable & Hashable & Sendable>: Sendable {
    /// An opaque position in the trie: the node reached by some prefix.
    public struct Node: Hashable, Sendable {
        fileprivate let index: Int32
    }

    private var childElements: [[Element]] = [[]]
    private var childNodes: [[Int32]] = [[]]
    private var terminal: [Bool] = [false]
    /// How many inserted sequences pass through (or end at) each node.
    private var completions: [Int32] = [0]

    /// How many distinct sequences were inserted.
    public private(set) var count = 0

    /// How many nodes the trie holds, the root included.
    public var nodeCount: Int { terminal.count }

    /// The node of the empty prefix.
    public var root: Node { Node(index: 0) }

    public init() {}

    public init(_ sequences: some Sequence<some Collection<Element>>) {
        for sequence in sequences { insert(sequence) }
    }

    /// Adds `sequence`; returns false when it was already present.
    @discardableResult
    public mutating func insert(_ sequence: some Collection<Element>) -> Bool {
        var node = 0
        var path = [0]
        for element in sequence {
            let (found, position) = Self.search(childElements[node], for: element)
            if found {
                node = Int(childNodes[node][position])
            } else {
                let child = terminal.count
                childElements.append([])
                childNodes.append([])
                terminal.append(false)
                completions.append(0)
                childElements[node].insert(element, at: position)
                childNodes[node].insert(Int32(child), at: position)
                node = child
            }
            path.append(node)
        }
        if terminal[node] { return false }
        terminal[node] = true
        count += 1
        for visited in path { completions[visited] += 1 }
        return true
    }

    /// The edges that removing `sequences` from the trie would leave leading nowhere, keyed by the node they
    /// leave from: following any other edge still reaches a remaining sequence. Sequences not in the trie are
    /// ignored, and so are repeats.
    public func edgesEmptied(byRemoving sequences: some Sequence<some Collection<Element>>) -> [Node: [Element]] {
        var removedBelow: [Int32: Int32] = [:]
        var removedEdges: [(parent: Int32, element: Element, child: Int32)] = []
        var distinct = Set<[Element]>()
        for sequence in sequences where contains(sequence) && distinct.insert(Array(sequence)).inserted {
            var node = 0
            removedBelow[0, default: 0] += 1
            for element in sequence {
                let next = childNode(node, element)!
                if removedBelow[Int32(next)] == nil { removedEdges.append((Int32(node), element, Int32(next))) }
                removedBelow[Int32(next), default: 0] += 1
                node = next
            }
        }
        func isEmptied(_ node: Int32) -> Bool { removedBelow[node] == completions[Int(node)] }
        var emptied: [Node: [Element]] = [:]
        // Only the highest closed edge of a branch is kept: the edges below it can no longer be reached
        // (at the root, where nothing is above, every closed edge is kept).
        for edge in removedEdges where isEmptied(edge.child) && (edge.parent == 0 || !isEmptied(edge.parent)) {
            emptied[Node(index: edge.parent), default: []].append(edge.element)
        }
        return emptied
    }

    /// The node reached by following `element` from `node`, or nil when no inserted sequence continues so.
    public func child(of node: Node, _ element: Element) -> Node? {
        childNode(Int(node.index), element).map { Node(index: Int32($0)) }
    }

    /// The node reached by `prefix`, or nil when no inserted sequence starts with it.
    public func node(for prefix: some Sequence<Element>) -> Node? {
        var node = 0
        for element in prefix {
            guard let next = childNode(node, element) else { return nil }
            node = next
        }
        return Node(index: Int32(node))
    }

    /// The elements that may follow `node`, sorted ascending.
    public func children(of node: Node) -> ArraySlice<Element> {
        childElements[Int(node.index)][...]
    }

    /// The elements that may follow `prefix`, sorted ascending; empty when the prefix is absent or a leaf.
    public func children(of prefix: some Sequence<Element>) -> ArraySlice<Element> {
        guard let node = node(for: prefix) else { return [] }
        return children(of: node)
    }

    /// Whether an inserted sequence ends exactly at `node`.
    public func isComplete(_ node: Node) -> Bool { terminal[Int(node.index)] }

    /// Whether `sequence` itself was inserted (not merely a prefix of an inserted sequence).
    public func contains(_ sequence: some Sequence<Element>) -> Bool {
        guard let node = node(for: sequence) else { return false }
        return terminal[Int(node.index)]
    }

    /// Whether nothing can follow `prefix`: it is absent from the trie, or every sequence through it ends there.
    public func isExhausted(_ prefix: some Sequence<Element>) -> Bool {
        children(of: prefix).isEmpty
    }

    private func childNode(_ node: Int, _ element: Element) -> Int? {
        let (found, position) = Self.search(childElements[node], for: element)
        return found ? Int(childNodes[node][position]) : nil
    }

    /// Binary search: whether `element` is present and, if not, where it would be inserted.
    private static func search(_ elements: [Element], for element: Element) -> (found: Bool, position: Int) {
        elements.withUnsafeBufferPointer { buffer in
            var low = 0
            var high = buffer.count
            while low < high {
                let middle = (low + high) >> 1
                if buffer[middle] < element { low = middle + 1 } else { high = middle }
            }
            return (low < buffer.count && buffer[low] == element, low)
        }
    }
}

extension PrefixTrie {
    /// Where the sequences below each node sit in the trie's sorted order (depth first, a node's own sequence before
    /// its children's, children by element): one contiguous run per node, so that a sum over the sequences below a
    /// node is the difference of two prefix sums.
    public struct SortedSpans: Sendable {
        fileprivate let lower: [Int32], upper: [Int32]

        /// The positions, in sorted order, of the sequences through `node`.
        public func span(of node: Node) -> Range<Int> { Int(lower[Int(node.index)])..<Int(upper[Int(node.index)]) }
    }

    /// Every node's ``SortedSpans/span(of:)``; an inserted sequence's position is the lower bound of its node's.
    public func sortedSpans() -> SortedSpans {
        var lower = [Int32](repeating: 0, count: nodeCount), upper = lower
        var next: Int32 = 0
        // Iterative depth-first walk: (node, whether its children are done).
        var stack: [(node: Int32, closing: Bool)] = [(0, false)]
        while let (node, closing) = stack.popLast() {
            if closing { upper[Int(node)] = next; continue }
            lower[Int(node)] = next
            if terminal[Int(node)] { next += 1 }
            stack.append((node, true))
            for child in childNodes[Int(node)].reversed() { stack.append((child, false)) }
        }
        return SortedSpans(lower: lower, upper: upper)
    }
}
