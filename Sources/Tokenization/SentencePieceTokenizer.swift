import CSentencePiece
import Foundation

/// A `Tokenizer` over a SentencePiece model (`spiece.model`), giving the ids transformers' T5 tokenizer gives.
///
/// Encoding matches transformers' `T5Tokenizer(text)["input_ids"]`: the SentencePiece ids of the text, then
/// `</s>`. As in transformers, a literal special piece written in the text (`</s>`, `<pad>`, `<unk>`) is read
/// as that special id, and the text around it is encoded as separate pieces.
///
/// Decoding matches SentencePiece's own detokenization with padding and end-of-sequence ids left out:
/// unknown ids read as `" ⁇ "` (SentencePiece's surface for them) rather than vanishing, so that a decoded
/// text still shows where the vocabulary fell short.
///
/// The model is immutable once loaded, so one instance may be shared by any number of threads.
public final class SentencePieceTokenizer: Tokenizer, @unchecked Sendable {
    // @unchecked: the only mutable-looking state is the processor handle, which is never changed after
    // loading; SentencePiece's encode and decode are const and keep their working state per call.
    private let handle: OpaquePointer

    /// Where the model came from: its path, or a caller-given name for in-memory bytes.
    public let source: String
    public let vocabularySize: Int
    public let padID: Int32
    public let eosID: Int32
    public let unknownID: Int32
    /// Special pieces that transformers matches verbatim in raw text, longest first so the
    /// longest match wins where two start at the same byte.
    private let literalSpecials: [(bytes: [UInt8], id: Int32)]
    /// The distinct first bytes of `literalSpecials` ("<" for T5), the only places a match can start.
    private let literalSpecialStarts: [UInt8]

    /// Loads the `.model` file at `url`.
    public convenience init(contentsOf url: URL) throws(TokenizerError) {
        try self.init(modelPath: url.path)
    }

    /// Loads the `.model` file at `modelPath`.
    public convenience init(modelPath: String) throws(TokenizerError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelPath, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: modelPath)
        }
        guard !isDirectory.boolValue else {
            throw .unreadableFile(path: modelPath, reason: "it is a directory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: modelPath))
        } catch {
            throw .unreadableFile(path: modelPath, reason: error.localizedDescription)
        }
        try self.init(modelData: data, source: modelPath)
    }

    /// Loads a model from the bytes of a `.model` file; `source` names them in errors.
    public init(modelData: Data, source: String = "in-memory model") throws(TokenizerError) {
        guard !modelData.isEmpty else {
            throw .invalidModel(source: source, reason: "the model is empty")
        }
        var loaded: OpaquePointer?
        var message: UnsafeMutablePointer<CChar>?
        let status = modelData.withUnsafeBytes { bytes in
            spm_processor_load_bytes(bytes.baseAddress, bytes.count, &loaded, &message)
        }
        guard status == SPM_OK, let loaded else {
            throw .invalidModel(source: source, reason: takeMessage(message, status: status))
        }
        let pad = spm_processor_pad_id(loaded)
        let eos = spm_processor_eos_id(loaded)
        guard pad >= 0, eos >= 0 else {
            spm_processor_free(loaded)
            throw .missingSpecialPiece(source: source, name: pad < 0 ? "padding" : "end-of-sequence")
        }
        handle = loaded
        self.source = source
        vocabularySize = Int(spm_processor_piece_count(loaded))
        padID = pad
        eosID = eos
        unknownID = spm_processor_unk_id(loaded)

        // transformers registers pad, eos and unk as added tokens; a model with a bos piece would have
        // it registered too. Other control pieces are not split out of text.
        var specials: [(bytes: [UInt8], id: Int32)] = []
        for id in [pad, eos, unknownID, spm_processor_bos_id(loaded)] where id >= 0 {
            var pointer: UnsafePointer<CChar>?
            var length = 0
            guard spm_processor_id_to_piece(loaded, id, &pointer, &length) == SPM_OK, let pointer, length > 0 else {
                continue
            }
            let bytes = Array(UnsafeRawBufferPointer(start: pointer, count: length))
            if !specials.contains(where: { $0.bytes == bytes }) { specials.append((bytes, id)) }
        }
        literalSpecials = specials.sorted { $0.bytes.count > $1.bytes.count }
        literalSpecialStarts = Array(Set(specials.map { $0.bytes[0] })).sorted()
    }

    deinit {
        spm_processor_free(handle)
    }

    // MARK: Encoding

    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        withContiguousUTF8(text) { bytes in
            for part in segments(of: bytes) {
                switch part {
                case let .special(id):
                    ids.append(id)
                case let .text(range):
                    appendPieceIDs(of: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[range])), to: &ids)
                }
            }
        }
        ids.append(eosID)
        return ids
    }

    /// Encodes `texts` in one call into SentencePiece, spread over all cores.
    public func encode(_ texts: [String]) -> [[Int32]] {
        encode(texts, threads: 0)
    }

    /// Encodes `texts` in one call into SentencePiece on up to `threads` threads (0: one per core).
    ///
    /// Worth it for catalogues: the texts are copied into one buffer and encoded without crossing
    /// from Swift to C++ once per text.
    public func encode(_ texts: [String], threads: Int) -> [[Int32]] {
        guard !texts.isEmpty else { return [] }
        // Every text's UTF-8 in one buffer, so that a single C call can see them all.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(texts.reduce(0) { $0 + $1.utf8.count } + 1)
        // Per text, the parts in order: a SentencePiece segment (index into `segments`) or a special id.
        var parts: [BatchPart] = []
        var partEnds: [Int] = []
        var segments: [Range<Int>] = []
        partEnds.reserveCapacity(texts.count)
        for text in texts {
            let start = buffer.count
            buffer.append(contentsOf: text.utf8)
            buffer.withUnsafeBufferPointer { all in
                let bytes = UnsafeBufferPointer(rebasing: all[start...])
                for part in self.segments(of: bytes) {
                    switch part {
                    case let .special(id):
                        parts.append(.special(id))
                    case let .text(range):
                        parts.append(.segment(segments.count))
                        segments.append((range.lowerBound + start)..<(range.upperBound + start))
                    }
                }
            }
            partEnds.append(parts.count)
        }
        // A trailing byte keeps the buffer's base address non-nil even when every text is empty.
        buffer.append(0)

        var flatIDs: UnsafeMutablePointer<Int32>?
        var offsets: UnsafeMutablePointer<Int>?
        var message: UnsafeMutablePointer<CChar>?
        let status = buffer.withUnsafeBufferPointer { all -> spm_status in
            let base = UnsafeRawPointer(all.baseAddress!).assumingMemoryBound(to: CChar.self)
            let pointers: [UnsafePointer<CChar>?] = segments.map { base + $0.lowerBound }
            let lengths = segments.map(\.count)
            return spm_processor_encode_batch(
                handle, pointers, lengths, segments.count, Int32(clamping: max(0, threads)),
                &flatIDs, &offsets, &message)
        }
        defer {
            spm_ids_free(flatIDs)
            spm_offsets_free(offsets)
        }
        guard status == SPM_OK, let offsets else {
            // Encoding a loaded model only fails when memory runs out.
            preconditionFailure("SentencePiece batch encoding failed: \(takeMessage(message, status: status))")
        }

        var result: [[Int32]] = []
        result.reserveCapacity(texts.count)
        var partStart = 0
        for partEnd in partEnds {
            var ids: [Int32] = []
            for part in parts[partStart..<partEnd] {
                switch part {
                case let .special(id):
                    ids.append(id)
                case let .segment(segment):
                    let lower = offsets[segment], upper = offsets[segment + 1]
                    if upper > lower, let flatIDs {
                        ids.append(contentsOf: UnsafeBufferPointer(start: flatIDs + lower, count: upper - lower))
                    }
                }
            }
            ids.append(eosID)
            result.append(ids)
            partStart = partEnd
        }
        return result
    }

    // MARK: Decoding and vocabulary

    public func decode(_ ids: [Int32]) -> String {
        // As transformers' decode(skip_special_tokens=True) does for pad and eos; ids the vocabulary
        // lacks are dropped too, which transformers' fast tokenizer also does silently.
        let kept = ids.filter { $0 >= 0 && Int($0) < vocabularySize && $0 != padID && $0 != eosID }
        guard !kept.isEmpty else { return "" }
        var text: UnsafeMutablePointer<CChar>?
        var length = 0
        var message: UnsafeMutablePointer<CChar>?
        let status = spm_processor_decode(handle, kept, kept.count, &text, &length, &message)
        defer { spm_string_free(text) }
        guard status == SPM_OK, let text else {
            preconditionFailure("SentencePiece decoding failed: \(takeMessage(message, status: status))")
        }
        return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
    }

    public func piece(for id: Int32) -> String? {
        var pointer: UnsafePointer<CChar>?
        var length = 0
        guard spm_processor_id_to_piece(handle, id, &pointer, &length) == SPM_OK, let pointer else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// The id of `piece`, or nil when the vocabulary has no such piece.
    public func id(for piece: String) -> Int32? {
        var piece = piece
        let id = piece.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { spm_processor_piece_to_id(handle, $0.baseAddress, $0.count) }
        }
        // SentencePiece answers the unknown id for pieces it lacks.
        if id == unknownID && self.piece(for: id) != piece { return nil }
        return id
    }

    /// Whether `id` is a control piece (padding, end-of-sequence) or the unknown piece.
    public func isSpecial(_ id: Int32) -> Bool {
        spm_processor_piece_flags(handle, id) & UInt32(SPM_PIECE_CONTROL | SPM_PIECE_UNKNOWN) != 0
    }

    /// The model's bytes, as a `.model` file holds them.
    public func serializedModel() throws(TokenizerError) -> Data {
        var bytes: UnsafeMutablePointer<CChar>?
        var length = 0
        var message: UnsafeMutablePointer<CChar>?
        let status = spm_processor_serialize(handle, &bytes, &length, &message)
        defer { spm_string_free(bytes) }
        guard status == SPM_OK, let bytes else {
            throw .invalidModel(source: source, reason: takeMessage(message, status: status))
        }
        return Data(bytes: bytes, count: length)
    }

    // MARK: Segmentation around literal special pieces

    private enum Part {
        /// Bytes to encode with SentencePiece.
        case text(Range<Int>)
        case special(Int32)
    }

    private enum BatchPart {
        /// Index of a segment in the batch's list of SentencePiece inputs.
        case segment(Int)
        case special(Int32)
    }

    /// Splits `bytes` where a literal special piece occurs, leftmost first, longest first at one position,
    /// the way transformers matches its added tokens before normalizing the rest.
    private func segments(of bytes: UnsafeBufferPointer<UInt8>) -> [Part] {
        guard !bytes.isEmpty else { return [] }
        guard !literalSpecials.isEmpty, let base = bytes.baseAddress else { return [.text(0..<bytes.count)] }
        var parts: [Part] = []
        var segmentStart = 0
        var position = 0
        while position < bytes.count {
            // Every special piece of a T5 vocabulary starts with "<"; scanning for the first byte of
            // each candidate keeps plain text on a memchr-speed path.
            var next = bytes.count
            for start in literalSpecialStarts {
                if let found = memchr(base + position, Int32(start), bytes.count - position) {
                    next = min(next, base.distance(to: found.assumingMemoryBound(to: UInt8.self)))
                }
            }
            guard next < bytes.count else { break }
            var matched: (length: Int, id: Int32)?
            for special in literalSpecials where special.bytes.count <= bytes.count - next {
                if memcmp(base + next, special.bytes, special.bytes.count) == 0 {
                    matched = (special.bytes.count, special.id)
                    break
                }
            }
            if let matched {
                if next > segmentStart { parts.append(.text(segmentStart..<next)) }
                parts.append(.special(matched.id))
                position = next + matched.length
                segmentStart = position
            } else {
                position = next + 1
            }
        }
        if segmentStart < bytes.count { parts.append(.text(segmentStart..<bytes.count)) }
        return parts
    }

    private func appendPieceIDs(of bytes: UnsafeRawBufferPointer, to ids: inout [Int32]) {
        var encoded: UnsafeMutablePointer<Int32>?
        var count = 0
        var message: UnsafeMutablePointer<CChar>?
        let status = spm_processor_encode(
            handle, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, &encoded, &count, &message)
        defer { spm_ids_free(encoded) }
        guard status == SPM_OK else {
            // Encoding a loaded model only fails when memory runs out.
            preconditionFailure("SentencePiece encoding failed: \(takeMessage(message, status: status))")
        }
        if let encoded, count > 0 {
            ids.append(contentsOf: UnsafeBufferPointer(start: encoded, count: count))
        }
    }
}

/// Runs `body` on the UTF-8 bytes of `text` without copying them when the string is already contiguous.
private func withContiguousUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    var text = text
    return text.withUTF8(body)
}

/// The text of a message returned by the C layer, which this frees.
func takeMessage(_ message: UnsafeMutablePointer<CChar>?, status: spm_status) -> String {
    guard let message else { return "SentencePiece status \(status.rawValue)" }
    defer { spm_string_free(message) }
    return String(cString: message)
}
