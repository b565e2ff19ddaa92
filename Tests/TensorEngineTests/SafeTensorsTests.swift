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

    func testHalfPrecisionWritesTheNearestHalfAndReadsItBackExactly() throws {
        // Known encodings: 1 = 0x3C00, -2 = 0xC000, 65504 (largest) = 0x7BFF, 2^-24 (smallest subnormal) = 0x0001,
        // 1 + 2^-11 is a tie between 1 and 1 + 2^-10 and goes to the even 1; 1 + 3 * 2^-11 goes up to 1 + 2^-9.
        let cases: [(Float, UInt16)] = [(1, 0x3C00), (-2, 0xC000), (65504, 0x7BFF), (powf(2, -24), 0x0001), (0, 0),
                                        (1 + powf(2, -11), 0x3C00), (1 + 3 * powf(2, -11), 0x3C02), (0.1, 0x2E66)]
        for (value, half) in cases {
            XCTAssertEqual(SafeTensors.DType.floatToHalf(value), half, "\(value)")
            XCTAssertEqual(SafeTensors.DType.halfToFloat(half), SafeTensors.DType.halfToFloat(SafeTensors.DType.floatToHalf(value)!))
        }
        XCTAssertNil(SafeTensors.DType.floatToHalf(65520))
        XCTAssertNil(SafeTensors.DType.floatToHalf(.nan))
        // Every half, read as a float and written again, is itself: the float16 path loses nothing twice.
        for bits in UInt16(0)...UInt16(0x7BFF) {
            let value = SafeTensors.DType.halfToFloat(bits)
            XCTAssertEqual(SafeTensors.DType.floatToHalf(value), bits, "\(bits)")
            XCTAssertEqual(SafeTensors.DType.floatToHalf(-value), bits == 0 ? 0x8000 : bits | 0x8000, "\(bits)")
        }

        let url = directory.appendingPathComponent("half.safetensors")
        let random = RandomSource(seed: 9)
        let scalars = (0..<1000).map { _ in random.nextNormal() * 0.3 }
        try SafeTensors.write(["w": Tensor(shape: [10, 100], scalars: scalars)], to: url, precision: .float16)
        XCTAssertLessThan(try Data(contentsOf: url).count, 1000 * 2 + 200)
        let read = try XCTUnwrap(SafeTensors.read(contentsOf: url)["w"])
        for (original, stored) in zip(scalars, read.scalars) { XCTAssertEqual(stored, original, accuracy: abs(original) / 1024 + 1e-7) }
        // Written again in half precision, the values read back are the same bytes.
        try SafeTensors.write(["w": read], to: url, precision: .float16)
        XCTAssertEqual(try SafeTensors.read(contentsOf: url)["w"]?.scalars, read.scalars)
        XCTAssertThrowsError(try SafeTensors.write(["w": Tensor(shape: [1], scalars: [1e6])], to: url, precision: .float16)) {
            XCTAssertTrue("\($0)".contains("does not fit half precision"), "\($0)")
        }
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

    /// The tensors must tile the data section exactly: a header length a few bytes short (the padding cut off)
    /// would shift every tensor, and bytes no tensor claims mean the file is not what its header says.
    func testDataSectionMustBeCoveredExactly() throws {
        let padded = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}    "#
        let body: [UInt8] = [0, 0, 128, 63]
        XCTAssertEqual(try SafeTensors.read(file(header: padded, body: body))["a"]?.scalars, [1], "padding spaces are part of the header")
        for short in 1...4 {
            var data = file(header: padded, body: body)
            data[data.startIndex] -= UInt8(short)
            XCTAssertThrowsError(try SafeTensors.read(data), "header length \(short) bytes short") {
                XCTAssertTrue("\($0)".contains("cover"), "\($0)")
            }
        }
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        XCTAssertThrowsError(try SafeTensors.read(file(header: gap, body: [UInt8](repeating: 0, count: 8)))) {
            XCTAssertTrue("\($0)".contains("belong to no tensor"), "\($0)")
        }
        XCTAssertThrowsError(try SafeTensors.read(file(header: padded, body: body + [7]))) { XCTAssertTrue("\($0)".contains("cover"), "\($0)") }
    }

    /// Seeded random mutations of a real file (flipped, set, dropped and inserted bytes): each one is read or
    /// refused with a SafeTensorsError, never a crash; a changed header-length field is always refused.
    func testMutationsNeverCrash() throws {
        let url = directory.appendingPathComponent("t.safetensors")
        try SafeTensors.write(["encoder.weight": Tensor(shape: [3, 4], scalars: (0..<12).map(Float.init)),
                               "bias": Tensor(shape: [4], scalars: [1, 2, 3, 4]), "scalar": Tensor(shape: [], scalars: [5])], to: url)
        let whole = try Data(contentsOf: url)
        let random = RandomSource(seed: 2024)
        var refused = 0
        for _ in 0..<3000 {
            var bytes = [UInt8](whole)
            let position = Int(random.next() % UInt64(bytes.count))
            switch random.next() % 4 {
            case 0: bytes[position] ^= UInt8(1 << (random.next() % 8))
            case 1: bytes[position] = UInt8(truncatingIfNeeded: random.next())
            case 2: bytes.remove(at: position)
            default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
            }
            do {
                let tensors = try SafeTensors.read(Data(bytes))
                let lengthFieldChanged = position < 8 && bytes.count == whole.count && Array(bytes[0..<8]) != Array(whole[0..<8])
                XCTAssertFalse(lengthFieldChanged, "a changed length field was accepted")
                for tensor in tensors.values { XCTAssertEqual(tensor.scalars.count, tensor.shape.reduce(1, *)) }
            } catch is SafeTensorsError {
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 300, "most mutations of the header are refused")
    }

    private func file(header: String, body: [UInt8]) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: body)
        return data
    }
}
