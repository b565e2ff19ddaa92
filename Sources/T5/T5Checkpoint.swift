import DurableFiles
import Foundation
import NN
import TensorEngine

// Checkpoints in transformers' `save_pretrained` layout: `config.json` + `model.safetensors`, parameters under
// transformers' names, so that a model moves both ways between this project and transformers.

extension T5Model {
    /// Loads `directory/config.json` and `directory/model.safetensors`.
    public static func load(from directory: URL) throws -> T5Model {
        let configURL = directory.appendingPathComponent("config.json")
        let configuration: T5Configuration
        do {
            configuration = try JSONDecoder().decode(T5Configuration.self, from: Data(contentsOf: configURL))
        } catch let error as DecodingError {
            throw T5Error.checkpoint(path: configURL.path, reason: "not a T5 config.json (\(describe(error)))")
        } catch {
            throw T5Error.checkpoint(path: configURL.path, reason: "cannot be read (\(error.localizedDescription))")
        }
        do { try configuration.validate() } catch { throw T5Error.checkpoint(path: configURL.path, reason: "\(error)") }
        let model = try T5Model(configuration: configuration)
        try model.loadWeights(from: directory.appendingPathComponent("model.safetensors"))
        return model
    }

    /// Replaces every parameter with the file's tensor of the same name; a missing, misshapen or unknown tensor is an error.
    public func loadWeights(from url: URL) throws {
        var tensors = try SafeTensors.read(contentsOf: url)
        // Tied checkpoints may also store the embedding under the stacks' names; they must agree with `shared`.
        for alias in ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"] { tensors.removeValue(forKey: alias) }
        if configuration.tieWordEmbeddings { tensors.removeValue(forKey: "lm_head.weight") }
        for (name, parameter) in namedParameters {
            guard let stored = tensors.removeValue(forKey: name) else {
                throw T5Error.checkpoint(path: url.path, reason: "missing tensor \"\(name)\"")
            }
            guard stored.shape == parameter.shape else {
                throw T5Error.checkpoint(path: url.path, reason: "tensor \"\(name)\" has shape \(stored.shape), the configuration needs \(parameter.shape)")
            }
            parameter.assign(stored.scalars)
        }
        if let unknown = tensors.keys.sorted().first {
            throw T5Error.checkpoint(path: url.path, reason: "unexpected tensor \"\(unknown)\" (\(tensors.count) unknown in all): does config.json match the weights?")
        }
    }

    /// Writes `config.json`, `generation_config.json` and `model.safetensors` into `directory`, each atomically;
    /// the weights in `precision` (float32 unless told).
    public func save(to directory: URL, precision: SafeTensors.Precision = .float32) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try AtomicFile.write(Data(configuration.transformersJSON().utf8), to: directory.appendingPathComponent("config.json"))
        try AtomicFile.write(Data(configuration.generationConfigurationJSON().utf8), to: directory.appendingPathComponent("generation_config.json"))
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in namedParameters { tensors[name] = parameter }
        try SafeTensors.write(tensors, to: directory.appendingPathComponent("model.safetensors"), precision: precision)
    }
}

private func describe(_ error: DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, _): return "missing key \"\(key.stringValue)\""
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? context.debugDescription : "field \"\(path)\": \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
