import Foundation
import NN
import TensorEngine

/// BSARec's filter branch (Shin et al., AAAI 2024): LN(x + dropout(low + β² ⊙ (x − low))), where `low` keeps only the
/// window's lowest frequencies of each channel and β (one per channel) is learned. Low frequencies carry a user's
/// lasting taste; scaling the rest by β² lets a block sharpen or soften recent changes that attention alone smooths.
///
/// BSARec removes the high frequencies with an orthonormal real FFT along time, zeroes all but the first `kept`
/// bins and transforms back. That is an orthogonal projection onto the span of the kept cosines and sines, a fixed
/// (T, T) matrix, so here it is one matrix product along time.
final class FrequencyFilter: Module {
    /// The projection onto the kept frequencies, (T, T), symmetric; a constant.
    let lowPass: Tensor
    /// β: the high frequencies are scaled by its square (BSARec's `sqrt_beta`, drawn from N(0, 1)).
    let highScaleRoot: Tensor
    let norm: LayerNorm

    init(width: Int, length: Int, keptFrequencies: Int, random: RandomSource) {
        lowPass = Tensor(shape: [length, length], scalars: Self.lowPassProjection(length: length, keptFrequencies: keptFrequencies))
        highScaleRoot = .normal(shape: [width], standardDeviation: 1, random: random, requiresGradient: true)
        norm = LayerNorm(width: width)
    }

    /// x (B, T, D) with T the projection's length.
    func callAsFunction(_ x: Tensor, dropout: Dropout) -> Tensor {
        // (B, D, T) · P (symmetric) filters every channel of every row along time in one product.
        let low = x.transposedLastTwo().matmul(lowPass).transposedLastTwo()
        let high = x + low * -1
        return norm(dropout.residual(x, low + high.scaledPerChannel(highScaleRoot * highScaleRoot)))
    }

    var namedParameters: [(name: String, tensor: Tensor)] {
        [("high_scale_root", highScaleRoot)] + prefixed("norm", norm.namedParameters)
    }

    /// P[t][s] = Σ over kept frequencies k of wₖ cos(2πk(t − s)/T): w₀ = 1/T, wₖ = 2/T (a cosine and a sine), and
    /// 1/T for the Nyquist frequency T/2 of an even T (which has no sine). Row-major, T × T.
    static func lowPassProjection(length: Int, keptFrequencies: Int) -> [Float] {
        let n = Double(length)
        var projection = [Float](repeating: 0, count: length * length)
        for t in 0..<length {
            for s in 0..<length {
                var value = 0.0
                for k in 0..<min(keptFrequencies, length / 2 + 1) {
                    let single = k == 0 || (length % 2 == 0 && 2 * k == length)
                    value += (single ? 1 : 2) / n * cos(2 * Double.pi * Double(k) * Double(t - s) / n)
                }
                projection[t * length + s] = Float(value)
            }
        }
        return projection
    }
}
