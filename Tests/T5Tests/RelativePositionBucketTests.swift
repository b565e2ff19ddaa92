import Foundation
import XCTest
@testable import T5

/// T5's relative-position buckets against transformers' formula (`Fixtures/relative_position_buckets.json`, written by
/// `make_bucket_fixture.py`) for small bucket counts and every max distance from 1 to twice the buckets: where
/// transformers defines a bucket for every relative position, a configuration validates and gives its bucket ids in
/// both directions; where it does not, validation refuses the configuration, naming the field.
final class RelativePositionBucketTests: XCTestCase {
    private struct Fixture: Decodable {
        struct Case: Decodable {
            var buckets: Int
            var max_distance: Int
            var bidirectional: Bool
            var bucket_ids: [Int32]?
        }
        var relative_positions: [Int]
        var cases: [Case]
    }

    func testBucketsMatchTransformersOrTheConfigurationIsRefused() throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("relative_position_buckets.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let shapes = Dictionary(grouping: fixture.cases) { [$0.buckets, $0.max_distance] }
        XCTAssertEqual(shapes.count, 2 * (2 + 3 + 4 + 5 + 8 + 32))
        for (shape, cases) in shapes {
            var configuration = T5Configuration(vocabularySize: 10, modelWidth: 8, headWidth: 4, feedForwardWidth: 8, encoderLayers: 1, heads: 2)
            configuration.relativeAttentionBuckets = shape[0]
            configuration.relativeAttentionMaxDistance = shape[1]
            let defined = cases.allSatisfy { $0.bucket_ids != nil }
            if !defined {
                XCTAssertThrowsError(try configuration.validate(), "\(shape)") { error in
                    XCTAssertTrue("\(error)".contains("relative_attention_"), "\(error)")
                }
            } else {
                XCTAssertNoThrow(try configuration.validate(), "\(shape)")
            }
            // Defined or not, computing a bucket never traps, and stays inside the embedding.
            for entry in cases {
                let ids = fixture.relative_positions.map {
                    RelativePosition.bucket($0, bidirectional: entry.bidirectional, buckets: entry.buckets, maxDistance: entry.max_distance)
                }
                XCTAssertTrue(ids.allSatisfy { $0 >= 0 && Int($0) < entry.buckets }, "\(shape) \(entry.bidirectional)")
                if defined { XCTAssertEqual(ids, entry.bucket_ids, "\(shape), bidirectional \(entry.bidirectional)") }
            }
        }
    }
}
