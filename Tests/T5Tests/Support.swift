import Foundation
import XCTest
@testable import TensorEngine

/// ‖a − b‖ / ‖b‖, the parity measure used against transformers' outputs.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "sizes \(a.count) and \(b.count) differ")
    var difference = 0.0, reference = 0.0
    for (x, y) in zip(a, b) { difference += Double(x - y) * Double(x - y); reference += Double(y) * Double(y) }
    return (difference / max(reference, 1e-30)).squareRoot()
}

func assertClose(_ a: [Float], _ b: [Float], within tolerance: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    let error = relativeError(a, b)
    XCTAssertLessThanOrEqual(error, tolerance, "\(what): relative error \(error)", file: file, line: line)
}

/// Flattens nested JSON arrays of numbers.
func flatFloats(_ value: Any) -> [Float] {
    if let number = value as? NSNumber { return [number.floatValue] }
    if let array = value as? [Any] { return array.flatMap(flatFloats) }
    return []
}

func flatInts(_ value: Any) -> [Int32] { flatFloats(value).map { Int32($0) } }

/// A fixture folder copied from transformers: config.json, model.safetensors, expected.json, grads.safetensors.
struct T5Fixture {
    let directory: URL
    let expected: [String: Any]

    init(_ name: String) throws {
        directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
        expected = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("expected.json"))) as! [String: Any]
    }

    var inputRows: [[Int32]] { (expected["input_ids"] as! [[Any]]).map { $0.map { Int32(($0 as! NSNumber).intValue) } } }
    var maskRows: [[Bool]] { (expected["attention_mask"] as! [[Any]]).map { $0.map { ($0 as! NSNumber).intValue != 0 } } }
    var labelRows: [[Int32]] { (expected["labels"] as! [[Any]]).map { $0.map { Int32(($0 as! NSNumber).intValue) } } }

    /// The inputs without their padding, as a user would give them.
    var unpaddedInputs: [[Int32]] { zip(inputRows, maskRows).map { ids, mask in zip(ids, mask).filter(\.1).map(\.0) } }
}
