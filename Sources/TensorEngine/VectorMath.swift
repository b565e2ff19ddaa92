/// Vectorised math over float lanes, for the passes where a call to libm per element would dominate (softmax in
/// attention, the log-sum-exp over a vocabulary).
public enum VectorMath {
    /// `exp` of eight lanes at once (Cephes' single-precision scheme: range reduction by ln 2 split in two parts,
    /// a degree-5 polynomial), within 2 ulp of libm's `expf` for the non-positive arguments softmax uses;
    /// arguments below -87.3 (minus infinity included) give exactly 0 rather than a subnormal, and NaN gives NaN.
    /// Rounding to an integer uses the 1.5 × 2^23 shifter and plain float arithmetic: Swift's generic SIMD rounding
    /// and conversions are not vectorised and cost ten times more.
    @inlinable @inline(__always)
    public static func exp(_ argument: SIMD8<Float>) -> SIMD8<Float> {
        let lowest = SIMD8<Float>(repeating: -87.33654)
        // Not pointwiseMax: that one is a call per vector, not an instruction.
        let x = argument.replacing(with: lowest, where: argument .< lowest)
        let shifter = SIMD8<Float>(repeating: 12_582_912)
        let shifted = x * 1.44269504088896341 + shifter
        let n = shifted - shifter
        var r = x - n * 0.693359375
        r = r + n * 2.12194440e-4
        let r2 = r * r
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * r2 + r + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(shifter, to: SIMD8<Int32>.self)
        let result = p * unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
        return result.replacing(with: 0, where: argument .< lowest)
    }

    /// `exp` of one value through the lanes, as a row's tail is taken (the same arithmetic as its vectors).
    @inlinable @inline(__always)
    public static func exp(_ value: Float) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        lanes[0] = value
        return exp(lanes)[0]
    }

    /// row[j] = exp(row[j] - shift) for every j of the row; returns their sum. Entries of minus infinity become 0.
    @inlinable
    public static func exponentiate(_ row: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        let raw = UnsafeMutableRawPointer(row)
        let vectorCount = count / 8
        let shiftVector = SIMD8<Float>(repeating: shift)
        var sums = SIMD8<Float>(repeating: 0)
        for index in 0..<vectorCount {
            let values = exp(raw.loadUnaligned(fromByteOffset: index * 32, as: SIMD8<Float>.self) - shiftVector)
            raw.storeBytes(of: values, toByteOffset: index * 32, as: SIMD8<Float>.self)
            sums += values
        }
        var sum = sums.sum()
        for index in (vectorCount * 8)..<count {
            row[index] = exp(row[index] - shift)
            sum += row[index]
        }
        return sum
    }

    /// Σ exp(row[j] - shift), the row left as it is (the same lanes and tail as `exponentiate`).
    @inlinable
    public static func exponentialSum(_ row: UnsafePointer<Float>, count: Int, shift: Float) -> Float {
        let raw = UnsafeRawPointer(row)
        let shiftVector = SIMD8<Float>(repeating: shift)
        var sums = SIMD8<Float>(repeating: 0)
        for index in 0..<(count / 8) {
            sums += exp(raw.loadUnaligned(fromByteOffset: index * 32, as: SIMD8<Float>.self) - shiftVector)
        }
        var sum = sums.sum()
        for index in (count / 8 * 8)..<count { sum += exp(row[index] - shift) }
        return sum
    }

    /// Softmax of a row in place, exp(row[j] - max) / sum; returns the maximum and the sum (the row's log-sum-exp
    /// is maximum + log(sum)). Entries of minus infinity get 0; a row of nothing else becomes zeros, sum 0.
    @inlinable
    public static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) -> (maximum: Float, sum: Float) {
        let maximum = self.maximum(row, count: count)
        guard maximum > -.infinity else {
            row.update(repeating: 0, count: count)
            return (maximum, 0)
        }
        let sum = exponentiate(row, count: count, shift: maximum)
        let inverse: Float = sum > 0 ? 1 / sum : 0
        for j in 0..<count { row[j] *= inverse }
        return (maximum, sum)
    }

    // Reductions in eight running lanes, summed (or compared) at the end: a loop-carried float sum keeps its
    // order, so the compiler leaves it one value at a time; eight lanes run about eight times faster.

    /// Σ a[j]·b[j].
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let (ra, rb) = (UnsafeRawPointer(a), UnsafeRawPointer(b))
        var sums = SIMD8<Float>(repeating: 0)
        for index in 0..<(count / 8) {
            let offset = index * 32
            sums += ra.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
        }
        var sum = sums.sum()
        for j in (count / 8 * 8)..<count { sum += a[j] * b[j] }
        return sum
    }

    /// Σ a[j]·b[j]·c[j].
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, count: Int) -> Float {
        let (ra, rb, rc) = (UnsafeRawPointer(a), UnsafeRawPointer(b), UnsafeRawPointer(c))
        var sums = SIMD8<Float>(repeating: 0)
        for index in 0..<(count / 8) {
            let offset = index * 32
            sums += ra.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                * rc.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
        }
        var sum = sums.sum()
        for j in (count / 8 * 8)..<count { sum += a[j] * b[j] * c[j] }
        return sum
    }

    /// The largest value of a row (minus infinity for an empty one; NaNs are passed over).
    @inlinable
    public static func maximum(_ row: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(row)
        var maxima = SIMD8<Float>(repeating: -.infinity)
        for index in 0..<(count / 8) {
            let values = raw.loadUnaligned(fromByteOffset: index * 32, as: SIMD8<Float>.self)
            maxima = maxima.replacing(with: values, where: values .> maxima)
        }
        var maximum = maxima[0]   // not `maxima.max()`: a call, not inlined, costly on short rows
        for lane in 1..<8 where maxima[lane] > maximum { maximum = maxima[lane] }
        for j in (count / 8 * 8)..<count where row[j] > maximum { maximum = row[j] }
        return maximum
    }
}
