import DurableFiles
import Foundation

/// Reads and writes the safetensors format (transformers' `model.safetensors`): an 8-byte little-endian
/// header length, a JSON header `{name: {dtype, shape, data_offsets}}`, then the raw little-endian data.
///
/// Reading checks every bound before touching data, so a truncated or hostile file is an error, never a crash.
public enum SafeTensors {
    /// Header sizes past this are refused rather than allocated.
    public static let maximumHeaderBytes = 100 << 20

    /// Every tensor in the file, converted to float32 (F32, F16, BF16 and F64 are accepted).
    public static func read(contentsOf url: URL) throws -> [String: Tensor] {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw SafeTensorsError(path: url.path, reason: "cannot be read (\(error.localizedDescription))")
        }
        return try read(data, path: url.path)
    }

    /// Parses an in-memory safetensors file; `path` names it in errors.
    public static func read(_ data: Data, path: String = "<memory>") throws -> [String: Tensor] {
        func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError(path: path, reason: reason) }
        guard data.count >= 8 else { throw fail("is \(data.count) bytes: too short for a safetensors header (truncated?)") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maximumHeaderBytes) else { throw fail("header length \(headerLength) exceeds \(maximumHeaderBytes) bytes") }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) runs past the end of the \(data.count)-byte file (truncated?)")
        }
        let headerStart = data.startIndex + 8, bodyStart = headerStart + Int(headerLength)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data[headerStart..<bodyStart]) } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }
        let bodyLength = data.count - 8 - Int(headerLength)
        var tensors: [String: Tensor] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("tensor \"\(name)\": entry needs dtype, shape and two data_offsets") }
            guard let width = DType(rawValue: dtype)?.byteWidth else { throw fail("tensor \"\(name)\": unsupported dtype \(dtype)") }
            guard shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 40 }) else { throw fail("tensor \"\(name)\": invalid shape \(shape)") }
            let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard !overflow, elements <= Int.max / 8, begin >= 0, begin <= end, end <= bodyLength else {
                throw fail("tensor \"\(name)\": data_offsets \(offsets) outside the \(bodyLength)-byte data section (truncated?)")
            }
            guard end - begin == elements * width else {
                throw fail("tensor \"\(name)\": \(end - begin) bytes for shape \(shape) of \(dtype) (needs \(elements * width))")
            }
            ranges.append((begin, end, name))
            let bytes = data[(bodyStart + begin)..<(bodyStart + end)]
            tensors[name] = Tensor(shape: shape, scalars: DType(rawValue: dtype)!.decode(bytes, count: elements))
        }
        // As the reference implementation requires: the tensors tile the data section exactly, from its first byte
        // to its last. A header length a few bytes off would otherwise shift every tensor and still parse.
        ranges.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var covered = 0
        for (begin, end, name) in ranges {
            if begin < covered { throw fail("tensor \"\(name)\" overlaps the tensor before it") }
            if begin > covered { throw fail("bytes \(covered)..<\(begin) of the data section belong to no tensor (before \"\(name)\")") }
            covered = end
        }
        guard covered == bodyLength else {
            throw fail("the tensors cover \(covered) of the data section's \(bodyLength) bytes (wrong header length, or trailing bytes)")
        }
        return tensors
    }

    /// How a file stores its numbers.
    public enum Precision: String, Sendable, CaseIterable {
        /// F32: every value as the engine holds it.
        case float32
        /// F16: half the bytes; each value rounded to the nearest half-precision number (read back as exactly that).
        case float16
    }

    /// Writes `tensors` (as F32, or F16 with `precision`), names sorted, atomically (a temporary file renamed into
    /// place). Half precision refuses a value that would round beyond its largest (65504), or is not finite, rather
    /// than write an infinity.
    public static func write(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = ["format": "pt"],
                             precision: Precision = .float32) throws {
        let width = precision == .float32 ? 4 : 2
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let tensor = tensors[name]!
            header[name] = ["dtype": precision == .float32 ? "F32" : "F16", "shape": tensor.shape,
                            "data_offsets": [offset, offset + tensor.count * width]]
            offset += tensor.count * width
        }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // The data section starts 8-byte aligned, padded with spaces as the reference writer does.
        headerBytes.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8))
        var file = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(headerBytes)
        for name in names {
            let scalars = tensors[name]!.scalars
            switch precision {
            case .float32:
                scalars.withUnsafeBufferPointer { file.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
            case .float16:
                var halves = [UInt16](repeating: 0, count: scalars.count)
                for (index, value) in scalars.enumerated() {
                    guard let half = DType.floatToHalf(value) else {
                        throw SafeTensorsError(path: url.path, reason: "tensor \"\(name)\": \(value) "
                                               + (value.isFinite ? "does not fit half precision (largest 65504)" : "is not finite"))
                    }
                    halves[index] = half.littleEndian
                }
                halves.withUnsafeBufferPointer { file.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
            }
        }
        try AtomicFile.write(file, to: url)
    }

    enum DType: String {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"

        var byteWidth: Int { switch self { case .f32: 4; case .f16, .bf16: 2; case .f64: 8 } }

        func decode(_ bytes: Data, count: Int) -> [Float] {
            var out = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                switch self {
                case .f32: for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                case .f64: for i in 0..<count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
                case .bf16: for i in 0..<count { out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
                case .f16: for i in 0..<count { out[i] = Self.halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
                }
            }
            return out
        }

        /// The nearest half-precision number (ties to even), subnormals included; nil beyond the largest finite
        /// half or for a NaN.
        static func floatToHalf(_ value: Float) -> UInt16? {
            guard value.isFinite else { return nil }
            let bits = value.bitPattern
            let sign = UInt16((bits >> 16) & 0x8000)
            let magnitude = abs(value)
            if magnitude <= 0x1p-25 { return sign }   // rounds to zero (2^-25 itself is a tie, to the even zero)
            if magnitude < 0x1p-14 {                  // subnormal half: a multiple of 2^-24
                return sign | UInt16((magnitude * 0x1p24).rounded(.toNearestOrEven))
            }
            // Normal: keep 10 of the 23 fraction bits, rounding the dropped 13 to nearest, ties to even.
            let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
            var mantissa = bits & 0x7F_FFFF
            let dropped = mantissa & 0x1FFF
            mantissa >>= 13
            var half = UInt32(exponent) << 10 | mantissa
            if dropped > 0x1000 || (dropped == 0x1000 && (mantissa & 1) == 1) { half += 1 }   // may carry into the exponent
            guard half < 0x7C00 else { return nil }
            return sign | UInt16(half)
        }

        static func halfToFloat(_ h: UInt16) -> Float {
            let sign: Float = (h & 0x8000) != 0 ? -1 : 1
            let exponent = Int((h >> 10) & 0x1F), fraction = Float(h & 0x3FF)
            switch exponent {
            case 0: return sign * fraction * powf(2, -24)
            case 31: return fraction == 0 ? sign * .infinity : .nan
            default: return sign * (1 + fraction / 1024) * powf(2, Float(exponent - 15))
            }
        }
    }
}

/// A safetensors file that cannot be used, and why.
public struct SafeTensorsError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
