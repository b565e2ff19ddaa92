import Foundation
import NN
import TensorEngine

extension Module {
    /// Sets every parameter from `tensors`, read from `url` under the parameters' names: a missing tensor, a wrong
    /// shape or a value that is not finite is an error naming the file, never a model used half-loaded.
    func assignParameters(from tensors: [String: Tensor], readFrom url: URL) throws {
        for (name, parameter) in namedParameters {
            guard let saved = tensors[name], saved.shape == parameter.shape else {
                throw IDGenRecError.invalidRun(path: url.path, reason: "\(name) is missing or not shaped \(parameter.shape)")
            }
            guard saved.scalars.allSatisfy(\.isFinite) else {
                throw IDGenRecError.invalidRun(path: url.path, reason: "\(name) holds a value that is not finite")
            }
            parameter.assign(saved.scalars)
        }
    }
}
