import Foundation
import Generation
import XCTest

/// Timings of the search itself (model time excluded) at the project's benchmark shape: 10 beams, a 12,101-item
/// trie of random 3–9 token IDs. Run with `GENERATION_BENCHMARK=1 swift test -c release --filter BenchmarkTests`.
final class BenchmarkTests: XCTestCase {
    /// Logits are copies of a few precomputed random rows, picked by a hash of the row's prefix: the model costs
    /// next to nothing and is timed apart.
    final class TableModel: Seq2SeqModel, @unchecked Sendable {
        let vocabularySize: Int
        let decoderStartTokenID: Int32 = 0
        let eosTokenID: Int32 = 1
        let padTokenID: Int32 = 0
        let table: [[Float]]
        var modelSeconds = 0.0
        var steps = 0
        var rows = 0

        init(vocabularySize: Int) {
            self.vocabularySize = vocabularySize
            var generator = SplitMix(seed: 1)
            table = (0..<61).map { _ in
                (0..<vocabularySize).map { _ in Float(Double(generator.next() % 1_000_000) / 1_000_000 * 12 - 6) }
            }
        }

        func makeDecoder(inputs: [[Int32]], rowsPerInput: Int) throws -> any IncrementalDecoder {
            Decoder(model: self, rows: inputs.count * rowsPerInput)
        }

        final class Decoder: IncrementalDecoder {
            let model: TableModel
            var hashes: [UInt64]
            init(model: TableModel, rows: Int) {
                self.model = model
                hashes = (0..<rows).map { UInt64($0) }
            }
            var rowCount: Int { hashes.count }
            var vocabularySize: Int { model.vocabularySize }
            func step(_ tokens: [Int32]) throws -> [Float] {
                let start = Date()
                var logits = [Float]()
                logits.reserveCapacity(hashes.count * vocabularySize)
                for row in hashes.indices {
                    hashes[row] = (hashes[row] ^ UInt64(tokens[row])) &* 0x100000001B3
                    logits += model.table[Int(hashes[row] % UInt64(model.table.count))]
                }
                model.modelSeconds += Date().timeIntervalSince(start)
                model.steps += 1
                model.rows += hashes.count
                return logits
            }
            func selectRows(_ indices: [Int]) { hashes = indices.map { hashes[$0] } }
        }
    }

    func catalogue(items: Int, vocabularySize: Int) -> PrefixTrie<Int32> {
        var generator = SplitMix(seed: 42)
        var trie = PrefixTrie<Int32>()
        while trie.count < items {
            let length = 3 + Int(generator.next() % 7)
            let body = (0..<length).map { _ in Int32(2 + generator.next() % UInt64(vocabularySize - 2)) }
            trie.insert([0] + body + [1])
        }
        return trie
    }

    func testConstrainedBeamSearchSpeed() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["GENERATION_BENCHMARK"] != nil, "benchmark off")
        for vocabularySize in [8000, 32128] {
            let buildStart = Date()
            let trie = catalogue(items: 12_101, vocabularySize: vocabularySize)
            let buildSeconds = Date().timeIntervalSince(buildStart)
            let constraint = PrefixTrieConstraint(trie: trie, endOfSequenceTokenID: 1)
            let configuration = GenerationConfiguration(
                maxNewTokens: 12, numberOfBeams: 10, numberOfReturnSequences: 10)
            for users in [1, 10, 100] {
                let model = TableModel(vocabularySize: vocabularySize)
                let inputs = (0..<users).map { [Int32($0 + 2)] }
                let start = Date()
                let results = try BeamSearch(configuration: configuration).generate(
                    model: model, inputs: inputs, constraint: constraint)
                let total = Date().timeIntervalSince(start)
                let search = total - model.modelSeconds
                for sequence in results.joined() where sequence.score > -1e8 { XCTAssertTrue(trie.contains(sequence.tokens)) }
                print(String(
                    format: "V=%d users=%d: search %.2f ms/user, %.3f ms per 100 rows x V, %d steps, %.0f rows/step (model %.1f ms)",
                    vocabularySize, users, search * 1000 / Double(users),
                    search * 1000 / Double(model.rows) * 100, model.steps, Double(model.rows) / Double(model.steps),
                    model.modelSeconds * 1000))
            }
            let queryStart = Date()
            var allowed = 0
            var generator = SplitMix(seed: 3)
            for _ in 0..<10_000 {
                var prefix: [Int32] = [0]
                while true {
                    let children = trie.children(of: prefix)
                    allowed += children.count
                    guard !children.isEmpty else { break }
                    prefix.append(children[children.startIndex + Int(generator.next() % UInt64(children.count))])
                }
            }
            print(String(
                format: "trie V=%d: %d nodes, built in %.1f ms; %.2f µs per children(of:) from the root (%d)",
                vocabularySize, trie.nodeCount, buildSeconds * 1000,
                Date().timeIntervalSince(queryStart) * 1e6 / 100_000, allowed))
        }
    }

    func testUnconstrainedBeamSearchSpeed() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["GENERATION_BENCHMARK"] != nil, "benchmark off")
        let model = TableModel(vocabularySize: 32128)
        let inputs = (0..<10).map { [Int32($0 + 2)] }
        let start = Date()
        _ = try BeamSearch(configuration: GenerationConfiguration(maxNewTokens: 10, numberOfBeams: 10, numberOfReturnSequences: 10))
            .generate(model: model, inputs: inputs)
        let search = Date().timeIntervalSince(start) - model.modelSeconds
        print(String(format: "unconstrained V=32128: %.3f ms per 100 rows x V", search * 1000 / Double(model.rows) * 100))
    }
}
