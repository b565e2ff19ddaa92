import Foundation
import Testing
@testable import RecData

/// Seeded random mutations of a small, valid project-format dataset: every mutated pair of files is either read
/// into a consistent dataset or refused with a `DatasetError`; nothing crashes, nothing else is thrown.
@Suite("Dataset parser fuzzing")
struct ParserFuzzTests {
    static let items = """
        {"item_id": "a1", "title": "Olay Regenerist Cream", "brand": "Olay", "categories": ["Beauty", "Skin"]}
        {"item_id": "b2", "title": "Dove Body Wash", "price": 4.5}
        {"item_id": "c3", "title": "Revlon \\u00e9clat Lipstick", "description": "<b>red</b>"}
        {"item_id": "d4", "title": "Maybelline Mascara"}

        """
    static let sequences = "u1 a1 b2 c3 d4\nu2 b2 c3 a1\nu3 d4 a1 b2 c3\n"

    @Test func mutatedFilesAreReadOrRefusedNeverCrash() throws {
        let folder = try TemporaryFolder()
        let random = SplitMix(seed: 7)
        var refused = 0, read = 0
        for _ in 0..<2000 {
            var files = [Array(Self.items.utf8), Array(Self.sequences.utf8)]
            let target = Int(random.next() % 2)
            for _ in 0...(random.next() % 3) { Self.mutate(&files[target], random) }
            try folder.write("items.jsonl", Data(files[0]))
            try folder.write("user_sequence.txt", Data(files[1]))
            do {
                let dataset = try ProjectFormatImporter.load(folder: folder.path).dataset
                #expect(dataset.sequenceItems.allSatisfy { $0 >= 0 && Int($0) < dataset.numberOfItems })
                #expect(dataset.sequenceOffsets.last == dataset.numberOfInteractions)
                read += 1
            } catch is DatasetError {
                refused += 1
            }
        }
        #expect(refused > 200 && read > 200, "both outcomes are exercised (\(refused) refused, \(read) read)")
    }

    /// One random edit: a flipped bit, a replaced, deleted or inserted byte, or a structural byte (quote, brace,
    /// newline, space, comma, NUL) put somewhere.
    static func mutate(_ bytes: inout [UInt8], _ random: SplitMix) {
        guard !bytes.isEmpty else { bytes.append(UInt8(truncatingIfNeeded: random.next())); return }
        let position = Int(random.next() % UInt64(bytes.count))
        let structural: [UInt8] = Array("\"{}[]\n ,:\\".utf8) + [0, 0xFF, 0xC3]
        switch random.next() % 5 {
        case 0: bytes[position] ^= UInt8(1 << (random.next() % 8))
        case 1: bytes[position] = UInt8(truncatingIfNeeded: random.next())
        case 2: bytes.remove(at: position)
        case 3: bytes.insert(structural[Int(random.next() % UInt64(structural.count))], at: position)
        default: bytes[position] = structural[Int(random.next() % UInt64(structural.count))]
        }
    }
}

/// A tiny seeded generator (SplitMix64), so that a failing mutation can be replayed.
final class SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
