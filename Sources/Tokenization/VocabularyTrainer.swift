import CSentencePiece
import DurableFiles
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Trains a SentencePiece vocabulary with T5's special ids: pad 0, eos 1, unk 2, and no bos.
///
/// Training is deterministic by default: input sentences are taken in order rather than sampled,
/// and one thread runs the EM steps, so the same texts and options give the same model bytes.
public struct VocabularyTrainer: Sendable {
    /// SentencePiece's segmentation algorithm.
    public enum ModelType: String, Sendable, CaseIterable {
        case unigram
        case bpe
    }

    /// What to train; the defaults suit item titles and keywords.
    public struct Options: Sendable, Equatable {
        /// Number of pieces, the three special pieces included.
        public var vocabularySize: Int
        public var modelType: ModelType
        /// Share of characters the vocabulary must cover; rarer characters become `<unk>`.
        public var characterCoverage: Double
        /// Longest sentence used, in UTF-8 bytes; longer ones are skipped by SentencePiece.
        public var maxSentenceLength: Int
        /// Threads for training. With one the result is reproducible; more are faster, but
        /// floating-point sums may then depend on the thread count.
        public var threadCount: Int
        /// Use at most this many sentences (0: all). Taken from the start unless `shuffleInput`.
        public var inputSentenceSize: Int
        /// Sample the sentences at random when `inputSentenceSize` is exceeded; makes training
        /// non-reproducible, as SentencePiece seeds that sampling per thread.
        public var shuffleInput: Bool
        /// Fail when the corpus cannot support `vocabularySize` pieces, rather than return fewer.
        public var hardVocabularyLimit: Bool
        /// SentencePiece's normalization rule: "nmt_nfkc" (T5's), "nfkc", "identity", ...
        public var normalizationRule: String
        /// Split runs of digits into single digits.
        public var splitDigits: Bool
        /// Encode characters outside the vocabulary as UTF-8 byte pieces instead of `<unk>`.
        public var byteFallback: Bool
        /// Pieces that are always kept whole (e.g. markers the recommender inserts in text).
        public var userDefinedSymbols: [String]
        /// Further SentencePiece trainer options by their command-line names without dashes;
        /// they may not repeat an option set above.
        public var extraOptions: [String: String]

        public init(
            vocabularySize: Int = 8000,
            modelType: ModelType = .unigram,
            characterCoverage: Double = 0.9995,
            maxSentenceLength: Int = 4192,
            threadCount: Int = 1,
            inputSentenceSize: Int = 0,
            shuffleInput: Bool = false,
            hardVocabularyLimit: Bool = true,
            normalizationRule: String = "nmt_nfkc",
            splitDigits: Bool = false,
            byteFallback: Bool = false,
            userDefinedSymbols: [String] = [],
            extraOptions: [String: String] = [:]
        ) {
            self.vocabularySize = vocabularySize
            self.modelType = modelType
            self.characterCoverage = characterCoverage
            self.maxSentenceLength = maxSentenceLength
            self.threadCount = threadCount
            self.inputSentenceSize = inputSentenceSize
            self.shuffleInput = shuffleInput
            self.hardVocabularyLimit = hardVocabularyLimit
            self.normalizationRule = normalizationRule
            self.splitDigits = splitDigits
            self.byteFallback = byteFallback
            self.userDefinedSymbols = userDefinedSymbols
            self.extraOptions = extraOptions
        }
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    // MARK: Training

    /// Trains on `texts` (one sentence each) and returns the model's bytes, as a `.model` file holds them.
    public func train(texts: [String]) throws(TokenizerError) -> Data {
        guard texts.contains(where: { !$0.isEmpty }) else {
            throw .invalidTrainingOptions("no training text")
        }
        // One contiguous copy of all texts, so that the C layer can read them in place.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(texts.reduce(1) { $0 + $1.utf8.count })
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(texts.count)
        for text in texts {
            let start = buffer.count
            buffer.append(contentsOf: text.utf8)
            ranges.append(start..<buffer.count)
        }
        buffer.append(0)
        return try buffer.withUnsafeBufferPointer { all throws(TokenizerError) -> Data in
            let base = UnsafeRawPointer(all.baseAddress!).assumingMemoryBound(to: CChar.self)
            let pointers: [UnsafePointer<CChar>?] = ranges.map { base + $0.lowerBound }
            let lengths = ranges.map(\.count)
            return try runTrainer(inputPath: nil, sentences: pointers, lengths: lengths)
        }
    }

    /// Trains on the lines of the UTF-8 text file at `inputFile` and returns the model's bytes.
    public func train(inputFile: URL) throws(TokenizerError) -> Data {
        let path = inputFile.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw .unreadableFile(path: path, reason: "it is a directory") }
        return try runTrainer(inputPath: path, sentences: [], lengths: [])
    }

    /// Trains on `texts` and writes the model to `output` atomically; returns the tokenizer it makes.
    @discardableResult
    public func train(texts: [String], writingTo output: URL) throws(TokenizerError) -> SentencePieceTokenizer {
        try finish(train(texts: texts), writingTo: output)
    }

    /// Trains on the lines of `inputFile` and writes the model to `output` atomically; returns the tokenizer it makes.
    @discardableResult
    public func train(inputFile: URL, writingTo output: URL) throws(TokenizerError) -> SentencePieceTokenizer {
        try finish(train(inputFile: inputFile), writingTo: output)
    }

    /// The trainer's options as SentencePiece spells them.
    public func trainerArguments() throws(TokenizerError) -> [String: String] {
        let o = options
        guard o.vocabularySize >= 4 else {
            throw .invalidTrainingOptions("vocabulary size \(o.vocabularySize) leaves no room beside the 3 special pieces")
        }
        guard o.characterCoverage > 0, o.characterCoverage <= 1 else {
            throw .invalidTrainingOptions("character coverage \(o.characterCoverage) is not in (0, 1]")
        }
        guard o.maxSentenceLength > 0 else {
            throw .invalidTrainingOptions("max sentence length \(o.maxSentenceLength) is not positive")
        }
        guard o.threadCount >= 1 else { throw .invalidTrainingOptions("thread count \(o.threadCount) is below 1") }
        guard o.inputSentenceSize >= 0 else {
            throw .invalidTrainingOptions("input sentence size \(o.inputSentenceSize) is negative")
        }
        // SentencePiece reads this list comma-separated.
        if let bad = o.userDefinedSymbols.first(where: { $0.isEmpty || $0.contains(",") }) {
            throw .invalidTrainingOptions("user-defined symbol \"\(bad)\" is empty or contains a comma")
        }
        var arguments: [String: String] = [
            "vocab_size": String(o.vocabularySize),
            "model_type": o.modelType.rawValue,
            "character_coverage": String(o.characterCoverage),
            "max_sentence_length": String(o.maxSentenceLength),
            "num_threads": String(o.threadCount),
            "input_sentence_size": String(o.inputSentenceSize),
            "shuffle_input_sentence": String(o.shuffleInput),
            "hard_vocab_limit": String(o.hardVocabularyLimit),
            "normalization_rule_name": o.normalizationRule,
            "split_digits": String(o.splitDigits),
            "byte_fallback": String(o.byteFallback),
            // T5's layout: pad 0 doubles as the decoder start, eos 1 closes every sequence.
            "pad_id": "0", "eos_id": "1", "unk_id": "2", "bos_id": "-1",
            "pad_piece": "<pad>", "eos_piece": "</s>", "unk_piece": "<unk>",
            // SentencePiece logs every EM step at INFO; warnings and errors still show.
            "minloglevel": "1",
        ]
        if !o.userDefinedSymbols.isEmpty {
            arguments["user_defined_symbols"] = o.userDefinedSymbols.joined(separator: ",")
        }
        for (key, value) in o.extraOptions {
            guard arguments[key] == nil else {
                throw .invalidTrainingOptions("extra option \"\(key)\" repeats an option set by a typed field")
            }
            guard !["input", "model_prefix"].contains(key) else {
                throw .invalidTrainingOptions("extra option \"\(key)\" is set by the trainer itself")
            }
            arguments[key] = value
        }
        return arguments
    }

    // MARK: Private

    private func runTrainer(
        inputPath: String?, sentences: [UnsafePointer<CChar>?], lengths: [Int]
    ) throws(TokenizerError) -> Data {
        let arguments = try trainerArguments().sorted { $0.key < $1.key }
        // strdup'd so the C strings outlive the call; freed below.
        let keys = arguments.map { strdup($0.key) }
        let values = arguments.map { strdup($0.value) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        var model: UnsafeMutablePointer<CChar>?
        var length = 0
        var message: UnsafeMutablePointer<CChar>?
        let status = keys.map { UnsafePointer($0) }.withUnsafeBufferPointer { keyPointers in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                spm_train(
                    keyPointers.baseAddress, valuePointers.baseAddress, arguments.count, inputPath,
                    sentences, lengths, sentences.count, &model, &length, &message)
            }
        }
        defer { spm_string_free(model) }
        guard status == SPM_OK, let model else {
            let reason = takeMessage(message, status: status)
            if let inputPath, status == SPM_NOT_FOUND { throw .unreadableFile(path: inputPath, reason: reason) }
            throw .trainingFailed(reason: reason)
        }
        return Data(bytes: model, count: length)
    }

    private func finish(_ model: Data, writingTo output: URL) throws(TokenizerError) -> SentencePieceTokenizer {
        // Loading before writing means a model that cannot be read back never replaces a good one.
        let tokenizer = try SentencePieceTokenizer(modelData: model, source: output.path)
        do { try AtomicFile.write(model, to: output) } catch { throw .writeFailed(path: error.path, reason: error.reason) }
        return tokenizer
    }
}
