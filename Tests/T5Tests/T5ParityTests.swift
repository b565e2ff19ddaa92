import Foundation
import XCTest
import NN
@testable import T5
@testable import TensorEngine

/// The forward and backward passes against transformers' own numbers for the same weights and batch.
final class T5ParityTests: XCTestCase {
    func testVersion10Parity() throws { try checkParity("t5_v1_0") }
    func testVersion11Parity() throws { try checkParity("t5_v1_1") }

    private func checkParity(_ name: String) throws {
        let fixture = try T5Fixture(name)
        let model = try T5Model.load(from: fixture.directory)
        let batch = T5Batch(inputIDs: fixture.inputRows.flatMap { $0 }, attentionMask: fixture.maskRows.flatMap { $0 },
                            labels: fixture.labelRows.flatMap { $0 }, batchSize: fixture.inputRows.count)

        let states = withoutGradient { model.encode(inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, batchSize: batch.batchSize) }
        assertClose(states.scalars, flatFloats(fixture.expected["encoder_last_hidden_state"]!), within: 1e-4, "\(name) encoder states")

        let (loss, logits) = model(batch)
        let expectedLoss = (fixture.expected["loss"] as! NSNumber).floatValue
        XCTAssertEqual(Double(loss.item), Double(expectedLoss), accuracy: 1e-4 * Double(abs(expectedLoss)), "\(name) loss")
        assertClose(logits.scalars, flatFloats(fixture.expected["logits"]!), within: 1e-4, "\(name) logits")

        loss.backward()
        let expectedGradients = try SafeTensors.read(contentsOf: fixture.directory.appendingPathComponent("grads.safetensors"))
        XCTAssertEqual(Set(expectedGradients.keys), Set(model.namedParameters.map(\.name)), "\(name): parameter names")
        for (parameterName, parameter) in model.namedParameters {
            guard let expected = expectedGradients[parameterName] else { continue }
            let gradient = try XCTUnwrap(parameter.gradient, "\(name): no gradient for \(parameterName)")
            assertClose(gradient, expected.scalars, within: 1e-3, "\(name) gradient of \(parameterName)")
        }
    }
}
