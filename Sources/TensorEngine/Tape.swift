/// Reverse-mode automatic differentiation.
///
/// Each op that has a differentiable input creates its output with a `TapeNode`: the inputs it read and a
/// closure that receives d(loss)/d(output) and *adds* each input's share into that input's gradient.
/// `backward()` orders the graph topologically and runs the closures from the loss back to the leaves.
final class TapeNode {
    let inputs: [Tensor]
    let backward: (_ outputGradient: UnsafeBufferPointer<Float>) -> Void
    /// The op that made the output, for ``OpProfile``.
    let op: StaticString

    init(inputs: [Tensor], op: StaticString, backward: @escaping (_ outputGradient: UnsafeBufferPointer<Float>) -> Void) {
        self.inputs = inputs
        self.op = op
        self.backward = backward
    }
}

/// One thread's range of an element-wise gradient contribution (``Tensor/accumulateGradientByChunk(rowWidth:_:)``).
struct GradientChunk {
    let range: Range<Int>
    let values: UnsafeMutablePointer<Float>
    /// The gradient was made for this contribution: its values are not yet initialised, `add` writes them.
    let isNew: Bool

    /// Adds `value` to the gradient at `i` (writes it, in a new gradient).
    @inline(__always) func add(_ i: Int, _ value: Float) {
        // The old value is read either way (and ignored when new), so that the loop has no branch and vectorises.
        let old = values[i]
        values[i] = (isNew ? 0 : old) + value
    }
}

/// Whether ops record their backward closures (true by default). Turn off for inference with `withoutGradient`.
public enum GradientMode {
    nonisolated(unsafe) static var isRecording = true

    /// Runs `body` without recording: outputs are plain values, nothing is kept for a backward pass.
    public static func withoutGradient<T>(_ body: () throws -> T) rethrows -> T {
        let previous = isRecording
        isRecording = false
        defer { isRecording = previous }
        return try body()
    }
}

/// Runs `body` without recording gradients (inference).
public func withoutGradient<T>(_ body: () throws -> T) rethrows -> T {
    try GradientMode.withoutGradient(body)
}

extension Tensor {
    /// Makes the output of an op: records `backward` when recording is on and any input needs a gradient.
    /// `op` names the op for ``OpProfile``: the function that calls this, unless told.
    static func result(
        shape: [Int], scalars: [Float], inputs: [Tensor], op: StaticString = #function,
        backward: @escaping (_ outputGradient: UnsafeBufferPointer<Float>) -> Void
    ) -> Tensor {
        let output = Tensor(shape: shape, scalars: scalars)
        if GradientMode.isRecording, inputs.contains(where: { $0.requiresGradient }) {
            output.requiresGradient = true
            output.node = TapeNode(inputs: inputs, op: op, backward: backward)
        }
        if OpProfile.isOn { OpProfile.outputMade(by: op) }
        return output
    }

    /// Adds `body`'s contribution into this tensor's gradient (allocating zeros first); a no-op for
    /// tensors that need no gradient, so backward closures can call it for every input.
    @inline(__always)
    func accumulateGradient(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        guard requiresGradient else { return }
        if gradient == nil { gradient = [Float](repeating: 0, count: count) }
        gradient!.withUnsafeMutableBufferPointer { body($0) }
    }

    /// Adds an element-wise contribution to this tensor's gradient, range by range across the engine's threads:
    /// `body` gets each range as a ``GradientChunk`` and calls `add(i, value)` for every i in it. `body` runs once
    /// per range, so its loop is compiled with the arithmetic inlined and vectorised (a closure called once per
    /// value is not inlined through the thread pool). A gradient made here is written directly: no zeroing pass.
    /// With `rowWidth`, ranges hold whole rows of that many values (for contributions computed row by row).
    @inline(__always)
    func accumulateGradientByChunk(rowWidth: Int = 1, _ body: (GradientChunk) -> Void) {
        guard requiresGradient, count > 0 else { return }
        precondition(rowWidth > 0 && count % rowWidth == 0, "gradient of shape \(shape) in rows of \(rowWidth)")
        let isNew = gradient == nil
        if isNew { gradient = uninitializedValues(count) }
        gradient!.withUnsafeMutableBufferPointer { buffer in
            guard let d = buffer.baseAddress else { return }
            Parallel.forEach(count / rowWidth, grain: max(1, Parallel.elementGrain / rowWidth)) { rows in
                body(GradientChunk(range: (rows.lowerBound * rowWidth)..<(rows.upperBound * rowWidth), values: d, isNew: isNew))
            }
        }
    }

    /// Adds `values` to this tensor's gradient; a gradient made here is `values` itself, not a copy.
    func accumulateGradient(adding values: [Float]) {
        guard requiresGradient else { return }
        precondition(values.count == count, "gradient of \(values.count) values for shape \(shape)")
        if gradient == nil { gradient = values; return }
        values.withUnsafeBufferPointer { v in accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, v[i]) } } }
    }

    /// `accumulateGradient` for a contribution made by a BLAS product: `body` gets the gradient and the β to
    /// pass, 0 when the gradient is new (its buffer is not zeroed first: β = 0 overwrites it entirely), 1 when
    /// it adds to an existing one.
    @inline(__always)
    func accumulateGradientByProduct(_ body: (UnsafeMutablePointer<Float>, _ beta: Float) -> Void) {
        guard requiresGradient else { return }
        if gradient == nil {
            gradient = productBuffer(count: count) { body($0, 0) }
        } else {
            gradient!.withUnsafeMutableBufferPointer { buffer in
                if let d = buffer.baseAddress { body(d, 1) }
            }
        }
    }

    /// Back-propagates from this scalar (or, with `seed`, from any tensor given d(loss)/d(self)).
    ///
    /// Gradients of leaves (parameters) accumulate across calls until `zeroGradient()`; intermediate
    /// gradients and the recorded graph are released as the pass goes.
    public func backward(seed: [Float]? = nil) {
        precondition(seed != nil || count == 1, "backward() without a seed needs a scalar, got shape \(shape)")
        guard requiresGradient else { return }
        let order = topologicalOrder()
        gradient = seed ?? [1]
        for tensor in order.reversed() {
            guard let node = tensor.node else { continue }
            if let outputGradient = tensor.gradient {
                if OpProfile.isOn {
                    OpProfile.backward(of: node.op) { outputGradient.withUnsafeBufferPointer { node.backward($0) } }
                } else {
                    outputGradient.withUnsafeBufferPointer { node.backward($0) }
                }
            }
            // An intermediate value's gradient is not needed once passed on.
            tensor.gradient = nil
            tensor.node = nil
        }
    }

    /// Every tensor that reaches `self` through recorded nodes, inputs before the ops that read them.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: T5 graphs are deep enough to make recursion a risk.
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.node?.inputs ?? [] where input.requiresGradient && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }

    /// Clears an accumulated gradient (parameters, before the next step).
    public func zeroGradient() { gradient = nil }

    /// The accumulated gradient as mutable storage, made zeros where nothing was accumulated: what data-parallel
    /// training sums across processes.
    public func withGradientStorage<R>(_ body: (inout [Float]) throws -> R) rethrows -> R {
        if gradient == nil { gradient = [Float](repeating: 0, count: count) }
        return try body(&gradient!)
    }

    /// A copy of the value outside the graph.
    public func detached() -> Tensor { Tensor(shape: shape, scalars: scalars) }
}
