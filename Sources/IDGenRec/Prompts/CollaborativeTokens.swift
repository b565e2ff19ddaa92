import Foundation
import NN
import TensorEngine

/// Collaborative soft tokens (RSLLM, LLaRA, RA-Rec): each history item's embedding from a sequential recommender
/// trained on the same interactions (``SASRec``), projected into the recommender's input space by a learned
/// two-layer projector, and read as one extra input token after the item's ID.
///
/// The textual ID says what an item is; its collaborative embedding says who buys it and what they buy next — what
/// the ID's words cannot carry. The embeddings stay as the sequential model learned them (frozen); the projector
/// learns with the recommender. In a prompt, item `i`'s soft token is the id `V + i` (V: the vocabulary's size),
/// which the T5 reads as row `i` of ``rows()`` (``T5Model/encode(inputIDs:attentionMask:batchSize:extraRows:)``).
public final class CollaborativeTokens: Module {
    /// (items, d): row `i` is catalogue item `i`'s embedding.
    public let itemEmbeddings: Tensor
    /// d → D, GELU, D → D.
    public let inner: Linear, outer: Linear

    public init(itemEmbeddings: Tensor, modelWidth: Int, seed: UInt64) {
        precondition(itemEmbeddings.shape.count == 2, "item embeddings must be (items, width)")
        self.itemEmbeddings = itemEmbeddings
        let random = RandomSource(seed: seed)
        let width = itemEmbeddings.shape[1]
        inner = Linear(inputSize: width, outputSize: modelWidth, standardDeviation: 1 / Float(width).squareRoot(), random: random)
        outer = Linear(inputSize: modelWidth, outputSize: modelWidth, standardDeviation: 1 / Float(modelWidth).squareRoot(), random: random)
    }

    public var items: Int { itemEmbeddings.shape[0] }

    /// Every item's soft token (items, D).
    public func rows() -> Tensor { project(itemEmbeddings) }

    /// The projector applied to embeddings (..., d).
    public func project(_ embeddings: Tensor) -> Tensor { outer(inner(embeddings).geluTanh()) }

    /// The projector's weights: what trains (the embeddings are frozen).
    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("projector.inner", inner.namedParameters) + prefixed("projector.outer", outer.namedParameters)
    }

    // MARK: The run folder's copy

    static let fileName = "collaborative.safetensors"

    func save(to url: URL, precision: SafeTensors.Precision = .float32) throws {
        var tensors = Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.tensor) })
        tensors["item_embeddings"] = itemEmbeddings
        try SafeTensors.write(tensors, to: url, precision: precision)
    }

    /// Reads ``save(to:)``'s file for a catalogue of `items` items and a recommender of width `modelWidth`;
    /// a missing tensor or a wrong shape is an error naming the file.
    static func load(from url: URL, items: Int, modelWidth: Int) throws -> CollaborativeTokens {
        let tensors = try SafeTensors.read(contentsOf: url)
        func fail(_ reason: String) -> IDGenRecError { .invalidRun(path: url.path, reason: reason) }
        guard let embeddings = tensors["item_embeddings"], embeddings.shape.count == 2, embeddings.shape[0] == items, embeddings.shape[1] >= 1 else {
            throw fail("item_embeddings must be (\(items) items, width)")
        }
        let tokens = CollaborativeTokens(itemEmbeddings: Tensor(shape: embeddings.shape, scalars: embeddings.scalars),
                                         modelWidth: modelWidth, seed: 0)
        try tokens.assignParameters(from: tensors, readFrom: url)
        return tokens
    }
}
