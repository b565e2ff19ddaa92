import Foundation
import T5
import TensorEngine

// The run folder's copy of the recommender's learned copy gate (`checkpoint/copy-gate.safetensors`).

extension T5CopyGate {
    static let fileName = "copy-gate.safetensors"

    func save(to url: URL, precision: SafeTensors.Precision = .float32) throws {
        try SafeTensors.write(Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.tensor) }), to: url, precision: precision)
    }

    /// Reads ``save(to:precision:)``'s file for a recommender of width `modelWidth`, or nil where there is none; a
    /// missing tensor, a wrong shape or a value that is not finite is an error naming the file.
    static func load(from url: URL, modelWidth: Int) throws -> T5CopyGate? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let tensors = try SafeTensors.read(contentsOf: url)
        // A gate that learned continuation stores its bias; one that did not has no such tensor.
        let gate = T5CopyGate(modelWidth: modelWidth, continuation: tensors["continuation.weight"] != nil, seed: 0)
        try gate.assignParameters(from: tensors, readFrom: url)
        return gate
    }
}
