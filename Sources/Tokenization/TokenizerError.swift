/// Why a vocabulary could not be loaded, trained or written.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No file at the path.
    case fileNotFound(path: String)
    /// The file exists but could not be read (permissions, a directory, an I/O error).
    case unreadableFile(path: String, reason: String)
    /// The bytes are not a SentencePiece model; `source` names the file, or says where the bytes came from.
    case invalidModel(source: String, reason: String)
    /// The model lacks a piece that T5's conventions need (e.g. no end-of-sequence piece).
    case missingSpecialPiece(source: String, name: String)
    /// The training options are inconsistent or out of range.
    case invalidTrainingOptions(String)
    /// SentencePiece's trainer refused the corpus or options.
    case trainingFailed(reason: String)
    /// The trained model could not be written to `path`.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            "SentencePiece model not found: \(path)"
        case let .unreadableFile(path, reason):
            "cannot read \(path): \(reason)"
        case let .invalidModel(source, reason):
            "\(source) is not a valid SentencePiece model: \(reason)"
        case let .missingSpecialPiece(source, name):
            "SentencePiece model \(source) has no \(name) piece, which T5 needs"
        case let .invalidTrainingOptions(reason):
            "invalid vocabulary training options: \(reason)"
        case let .trainingFailed(reason):
            "vocabulary training failed: \(reason)"
        case let .writeFailed(path, reason):
            "cannot write the vocabulary to \(path): \(reason)"
        }
    }
}
