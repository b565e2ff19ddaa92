#if canImport(Accelerate)
import Accelerate
#elseif canImport(Glibc)
import Glibc
#endif
import Foundation

/// Single-precision matrix products through the platform's BLAS.
///
/// On Linux, OpenBLAS is opened at run time rather than linked: it reads `OPENBLAS_CORETYPE` once, while
/// loading, and Debian's 0.3.21 does not recognise recent AVX-512 CPUs (it falls back to its Haswell
/// kernels, about half the speed). Loading it ourselves lets us ask for the SkylakeX kernels first on
/// such CPUs. On Apple platforms, Accelerate.
public struct BLAS: @unchecked Sendable {
    public typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void

    /// Which library and kernels are in use, e.g. "OpenBLAS 0.3.21 (SkylakeX kernels, 2 threads)".
    public let description: String
    let sgemm: SGEMM
    private let setThreadCount: (@convention(c) (Int32) -> Void)?

    /// The process-wide BLAS, loaded on first use, running one thread per call (see `Parallel`).
    public static let shared: BLAS = {
        Parallel.tuneAllocator()
        do {
            let blas = try load()
            blas.setThreadCount?(1)
            return blas
        } catch {
            fatalError("\(error)")
        }
    }()

    /// Which kernels run and on how many engine threads, e.g. for logs and benchmarks.
    public static var summary: String { "\(shared.description), \(Parallel.threadCount) engine threads" }

    #if canImport(Accelerate)
    static func load() throws -> BLAS {
        let gemm: SGEMM = { order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
            cblas_sgemm(CBLAS_ORDER(UInt32(order)), CBLAS_TRANSPOSE(UInt32(ta)), CBLAS_TRANSPOSE(UInt32(tb)),
                        m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
        return BLAS(description: "Accelerate", sgemm: gemm, setThreadCount: nil)
    }
    #else
    static func load() throws -> BLAS {
        let kernelRequest = requestFastKernelsIfNeeded()
        let candidates = ["libopenblas.so.0", "libopenblas.so", "libblas.so.3"]
        guard let (name, handle) = candidates.lazy.compactMap({ name in dlopen(name, RTLD_NOW | RTLD_GLOBAL).map { (name, $0) } }).first
        else {
            throw BLASError.notFound(candidates)
        }
        guard let gemmSymbol = dlsym(handle, "cblas_sgemm") else { throw BLASError.missingSymbol(name, "cblas_sgemm") }
        let gemm = unsafeBitCast(gemmSymbol, to: SGEMM.self)
        let setThreads = dlsym(handle, "openblas_set_num_threads").map {
            unsafeBitCast($0, to: (@convention(c) (Int32) -> Void).self)
        }
        var description = name
        if let coreSymbol = dlsym(handle, "openblas_get_corename") {
            let coreName = unsafeBitCast(coreSymbol, to: (@convention(c) () -> UnsafePointer<CChar>?).self)
            let core = coreName().map { String(cString: $0) } ?? "unknown"
            var configText = ""
            if let configSymbol = dlsym(handle, "openblas_get_config") {
                let config = unsafeBitCast(configSymbol, to: (@convention(c) () -> UnsafePointer<CChar>?).self)
                configText = config().map { String(cString: $0) } ?? ""
            }
            let version = configText.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            description = "OpenBLAS \(version) (\(core) kernels\(kernelRequest))"
        }
        return BLAS(description: description, sgemm: gemm, setThreadCount: setThreads)
    }

    /// Asks OpenBLAS for its SkylakeX kernels on CPUs with AVX-512.
    ///
    /// `IDGENREC_BLAS_CORETYPE` forces a core type. An `OPENBLAS_CORETYPE` naming an older x86 family
    /// (machines often pin `Haswell` for reproducibility) is upgraded on an AVX-512 CPU, and the
    /// description says so; any other value is respected.
    private static func requestFastKernelsIfNeeded() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let forced = environment["IDGENREC_BLAS_CORETYPE"] {
            setenv("OPENBLAS_CORETYPE", forced, 1)
            return "; IDGENREC_BLAS_CORETYPE=\(forced)"
        }
        let preset = environment["OPENBLAS_CORETYPE"]
        let older = ["haswell", "zen", "sandybridge", "nehalem", "core2", "prescott"]
        guard CPUFeatures.hasAVX512, preset == nil || older.contains(preset!.lowercased()) else {
            return preset.map { "; OPENBLAS_CORETYPE=\($0)" } ?? ""
        }
        setenv("OPENBLAS_CORETYPE", "SKYLAKEX", 1)
        return preset.map { "; OPENBLAS_CORETYPE=\($0) upgraded for this AVX-512 CPU" } ?? "; chosen for this AVX-512 CPU"
    }
    #endif
}

/// Why BLAS could not be loaded.
public enum BLASError: Error, CustomStringConvertible {
    case notFound([String])
    case missingSymbol(String, String)

    public var description: String {
        switch self {
        case .notFound(let names):
            return "no BLAS library found (tried \(names.joined(separator: ", "))): install OpenBLAS (Debian: apt-get install libopenblas-dev)"
        case .missingSymbol(let library, let symbol):
            return "\(library) has no \(symbol): install OpenBLAS (Debian: apt-get install libopenblas-dev)"
        }
    }
}

/// What the CPU offers, read once.
enum CPUFeatures {
    static let hasAVX512: Bool = {
        #if os(Linux) && arch(x86_64)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        guard let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let set = Set(flags.split(separator: " "))
        return set.contains("avx512f") && set.contains("avx512bw") && set.contains("avx512vl")
        #else
        return false
        #endif
    }()
}

extension BLAS {
    /// The matrix-product speed this machine reaches now, in GFLOP/s: the best of `repeats` n x n x n products split
    /// across the engine's threads, as the engine runs them, after products for at least `warmUp` seconds (a cold
    /// machine — idle cores clocked down, threads parked — reads far below its speed on the first few). The yardstick
    /// `idgenrec bench` measures shares against.
    public func measuredPeak(size n: Int = 2048, repeats: Int = 5, warmUp: Double = 1) -> Double {
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        func product() -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                parallelGemm(transposeA: false, transposeB: false, m: n, n: n, k: n, a: a.baseAddress!, lda: n,
                             b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
            } } }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var warmed = 0.0
        repeat { warmed += product() } while warmed < warmUp
        let best = (0..<max(repeats, 1)).map { _ in product() }.min()!
        return 2 * Double(n * n * n) / best / 1e9
    }
}

// Row-major GEMM: C = alpha * op(A) * op(B) + beta * C.
// M, N, K: rows of op(A) and C, columns of op(B) and C, the shared dimension.
extension BLAS {
    /// One product on the calling thread.
    @inline(__always)
    public func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112
        sgemm(rowMajor, transposeA ? trans : noTrans, transposeB ? trans : noTrans,
              Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// One product split across the engine's threads: by rows of C when it has more rows than columns,
    /// else by columns. Small products run on the calling thread.
    public func parallelGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let splitRows = m >= n
        let grain = max(1, (1 << 20) / max(1, (splitRows ? n : m) * k))   // at least ~1M multiply-adds a thread
        Parallel.forEach(splitRows ? m : n, grain: max(grain, 16)) { part in
            if splitRows {
                // Rows of C come from rows of op(A).
                let aOffset = transposeA ? part.lowerBound : part.lowerBound * lda
                gemm(transposeA: transposeA, transposeB: transposeB, m: part.count, n: n, k: k, alpha: alpha,
                     a: a + aOffset, lda: lda, b: b, ldb: ldb, beta: beta, c: c + part.lowerBound * ldc, ldc: ldc)
            } else {
                // Columns of C come from columns of op(B).
                let bOffset = transposeB ? part.lowerBound * ldb : part.lowerBound
                gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: part.count, k: k, alpha: alpha,
                     a: a, lda: lda, b: b + bOffset, ldb: ldb, beta: beta, c: c + part.lowerBound, ldc: ldc)
            }
        }
    }
}
