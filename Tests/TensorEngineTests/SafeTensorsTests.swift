import Foundation
import XCTest
@testable import TensorEngine

final class SafeTensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testRoundTrip() throws {
        let url = directory.appendingPathComponent("t.safetensors")
        let tensors = ["a": Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), "b.weight": Tensor(shape: [1], scalars: [-0.5])]
        try SafeTensors.write(tensors, to: url)
        let read = try SafeTensors.read(contentsOf: url)
        XCTAssertEqual(read["a"]?.shape, [2, 3])
        XCTAssertEqual(read["a"]?.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(read["b.weight"]?.scalars, [-0.5])
    }

    func testHalfPrecisionIsConverted() throws {
        // F16 1.0 = 0x3C00, BF16 -2.0 = 0xC000.
        let data = file(header: #"{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]}}"#,
                        body: [0x00, 0x3C, 0x00, 0xC0])
        let read = try SafeTensors.read(data)
        XCTAssertEqual(read["h"]?.scalars, [1])
        XCTAssertEqual(read["b"]?.scalars, [-2])
    }

    func testTruncatedFileIsAClearError() throws {
        let url = directory.appendingPathComponent("t.safetensors")
        try SafeTensors.write(["a": Tensor(shape: [4], scalars: [1, 2, 3, 4])], to: url)
        let whole = try Data(contentsOf: url)
        for length in [0, 5, 12, whole.count - 3] {
            XCTAssertThrowsError(try SafeTensors.read(whole.prefix(length), path: "cut.safetensors")) { error in
                XCTAssertTrue("\(error)".hasPrefix("cut.safetensors: "), "\(error)")
            }
        }
    }

    func testHostileHeadersAreRejected() {
        let cases: [(String, [UInt8], String)] = [
            (#"{"a":{"dtype":"F32","shape":[1000000000000],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "bytes for shape"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4000]}}"#, [0, 0, 0, 0], "outside"),
            (#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8), "unsupported dtype"),
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "invalid shape"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#,
             [UInt8](repeating: 0, count: 8), "overlap"),
            ("not json", [], "not valid JSON"),
        ]
        for (header, body, message) in cases {
            XCTAssertThrowsError(try SafeTensors.read(file(header: header, body: body))) { error in
                XCTAssertTrue("\(error)".contains(message), "expected “\(message)” in: \(error)")
            }
        }
        var huge = Data()
        withUnsafeBytes(of: UInt64(1 << 62).littleEndian) { huge.append(contentsOf: $0) }
        XCTAssertThrowsError(try SafeTensors.read(huge)) { XCTAssertTrue("\($0)".contains("header length")) }
    }

    private func file(header: String, body: [UInt8]) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: body)
        return data
    }
}
