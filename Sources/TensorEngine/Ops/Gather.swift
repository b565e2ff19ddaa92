// Embedding lookup. Legend: V = vocabulary rows, D = row width.

extension Tensor {
    /// Rows of a (V, D) table for each id: the result has shape `idShape + [D]`.
    /// The backward scatter-adds into the rows that were read (ids may repeat).
    public func gatherRows(_ ids: [Int32], shape idShape: [Int]) -> Tensor {
        precondition(shape.count == 2, "gatherRows: table must be 2-D, got \(shape)")
        precondition(idShape.reduce(1, *) == ids.count, "gatherRows: \(ids.count) ids for shape \(idShape)")
        let table = self
        let (rows, width) = (shape[0], shape[1])
        var out = [Float](repeating: 0, count: ids.count * width)
        table.scalars.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                for (i, id) in ids.enumerated() {
                    let row = Int(id)
                    precondition(row >= 0 && row < rows, "gatherRows: id \(row) outside 0..<\(rows)")
                    (o.baseAddress! + i * width).update(from: t.baseAddress! + row * width, count: width)
                }
            }
        }
        return .result(shape: idShape + [width], scalars: out, inputs: [table]) { g in
            table.accumulateGradient { d in
                for (i, id) in ids.enumerated() {
                    let target = d.baseAddress! + Int(id) * width, source = g.baseAddress! + i * width
                    for j in 0..<width { target[j] += source[j] }
                }
            }
        }
    }
}
