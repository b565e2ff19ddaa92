// Shape changes and copies between layouts.

extension Tensor {
    /// The same values under another shape (one dimension may be -1, inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            resolved[inferred] = known == 0 ? 0 : count / known
        }
        precondition(resolved.reduce(1, *) == count, "reshape: \(shape) cannot become \(newShape)")
        let x = self
        return .result(shape: resolved, scalars: scalars, inputs: [x]) { g in
            x.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i]) } }
        }
    }

    /// Swaps the last two dimensions: (..., R, C) -> (..., C, R).
    public func transposedLastTwo() -> Tensor {
        precondition(shape.count >= 2, "transpose needs at least 2 dimensions, got \(shape)")
        let x = self
        let rows = shape[shape.count - 2], columns = shape[shape.count - 1]
        let batch = count / max(rows * columns, 1)
        let out = Tensor.transposeCopy(scalars, batch: batch, rows: rows, columns: columns)
        return .result(shape: Array(shape.dropLast(2)) + [columns, rows], scalars: out, inputs: [x]) { g in
            x.accumulateGradient(adding: Tensor.transposeCopy(Array(g), batch: batch, rows: columns, columns: rows))
        }
    }

    static func transposeCopy(_ values: [Float], batch: Int, rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for b in 0..<batch {
                    let base = b * rows * columns
                    for r in 0..<rows { for c in 0..<columns { o[base + c * rows + r] = v[base + r * columns + c] } }
                }
            }
        }
        return out
    }

    /// The sub-range `range` of dimension `axis`.
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        precondition(axis >= 0 && axis < shape.count, "slice: axis \(axis) outside \(shape)")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice: \(range) outside 0..<\(shape[axis])")
        let x = self
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let length = shape[axis], width = range.count * inner
        var out = [Float](repeating: 0, count: outer * width)
        scalars.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<outer {
                    (o.baseAddress! + i * width).update(from: v.baseAddress! + (i * length + range.lowerBound) * inner, count: width)
                }
            }
        }
        var outShape = shape
        outShape[axis] = range.count
        return .result(shape: outShape, scalars: out, inputs: [x]) { g in
            x.accumulateGradient { d in
                for i in 0..<outer {
                    let target = d.baseAddress! + (i * length + range.lowerBound) * inner
                    for j in 0..<width { target[j] += g[i * width + j] }
                }
            }
        }
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concatenate(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concatenate needs at least one tensor")
        let first = parts[0].shape
        for part in parts {
            precondition(part.shape.count == first.count && part.shape.enumerated().allSatisfy { $0.offset == axis || $0.element == first[$0.offset] },
                         "concatenate: shapes \(first) and \(part.shape) differ off axis \(axis)")
        }
        let outer = first[..<axis].reduce(1, *), inner = first[(axis + 1)...].reduce(1, *)
        let total = parts.reduce(0) { $0 + $1.shape[axis] }
        var out = [Float](repeating: 0, count: outer * total * inner)
        var offsets: [Int] = []
        var offset = 0
        out.withUnsafeMutableBufferPointer { o in
            for part in parts {
                offsets.append(offset)
                let width = part.shape[axis] * inner
                part.scalars.withUnsafeBufferPointer { v in
                    for i in 0..<outer {
                        (o.baseAddress! + i * total * inner + offset * inner).update(from: v.baseAddress! + i * width, count: width)
                    }
                }
                offset += part.shape[axis]
            }
        }
        var outShape = first
        outShape[axis] = total
        return .result(shape: outShape, scalars: out, inputs: parts) { g in
            for (part, start) in zip(parts, offsets) {
                let width = part.shape[axis] * inner
                part.accumulateGradient { d in
                    for i in 0..<outer {
                        let source = g.baseAddress! + i * total * inner + start * inner
                        for j in 0..<width { d[i * width + j] += source[j] }
                    }
                }
            }
        }
    }
}
