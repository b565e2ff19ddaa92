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
    private let getThreadCount: (@convention(c) () -> Int32)?

    /// The process-wide BLAS, loaded on first use.
    public static let shared: BLAS = {
        do { return try load() } catch { fatalError("\(error)") }
    }()

    /// Threads BLAS uses for one product.
    public var threadCount: Int { Int(getThreadCount?() ?? 1) }

    /// Sets the threads BLAS uses (OpenBLAS only).
    public func setThreads(_ count: Int) { setThreadCount?(Int32(count)) }

    #if canImport(Accelerate)
    static func load() throws -> BLAS {
        let gemm: SGEMM = { order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
            cblas_sgemm(CBLAS_ORDER(UInt32(order)), CBLAS_TRANSPOSE(UInt32(ta)), CBLAS_TRANSPOSE(UInt32(tb)),
                        m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
        return BLAS(description: "Accelerate", sgemm: gemm, setThreadCount: nil, getThreadCount: nil)
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
        let getThreads = dlsym(handle, "openblas_get_num_threads").map {
            unsafeBitCast($0, to: (@convention(c) () -> Int32).self)
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
            description = "OpenBLAS \(version) (\(core) kernels, \(getThreads?() ?? 1) threads\(kernelRequest))"
        }
        return BLAS(description: description, sgemm: gemm, setThreadCount: setThreads, getThreadCount: getThreads)
    }

    /// Asks OpenBLAS for its SkylakeX kernels on CPUs with AVX-512 unless the user chose a core type.
    private static func requestFastKernelsIfNeeded() -> String {
        if let chosen = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] { return "; OPENBLAS_CORETYPE=\(chosen) set by the user" }
        guard CPUFeatures.hasAVX512 else { return "" }
        setenv("OPENBLAS_CORETYPE", "SKYLAKEX", 1)
        return "; chosen for this AVX-512 CPU"
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

// Row-major GEMM: C = alpha * op(A) * op(B) + beta * C.
// M, N, K: rows of op(A) and C, columns of op(B) and C, the shared dimension.
extension BLAS {
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
}
