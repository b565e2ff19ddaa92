import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The engine's own parallelism: work is split across `Parallel.threadCount` threads at the level of an
/// op (rows of a product, heads of attention, chunks of an element-wise loop), and BLAS itself runs one
/// thread per call. One pool busy at a time: OpenBLAS's own threads spin between calls and would
/// otherwise compete with the element-wise work for the same cores. The pool is OpenMP's (``OpenMPTeam``, shared
/// with oneDNN's products) where the system has libgomp, Dispatch's elsewhere.
public enum Parallel {
    nonisolated(unsafe) private static var configuredThreads = ProcessInfo.processInfo.activeProcessorCount

    /// Threads the engine uses (default: the cores available).
    public static var threadCount: Int { configuredThreads }

    /// Sets the engine's thread count (at least 1).
    public static func setThreadCount(_ count: Int) {
        configuredThreads = max(1, count)
        _ = BLAS.shared
    }

    /// Runs `body` over `0..<count` split into contiguous ranges, in parallel when each range gets at least
    /// `grain` items of work; ranges are disjoint, so bodies may write to disjoint outputs without locks.
    @inline(__always)
    public static func forEach(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(threadCount, count / max(grain, 1))
        guard chunks > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        // The ranges are disjoint, which is what makes sharing the body's captures across threads safe.
        func runChunk(_ chunk: Int) { body((chunk * count / chunks)..<((chunk + 1) * count / chunks)) }
        if let team = OpenMPTeam.runtime {
            OpenMPTeam.run(team, chunks: chunks, runChunk)
        } else {
            onDispatch(chunks: chunks, runChunk)
        }
    }

    /// Calls `body` once per chunk on Dispatch's threads: where OpenMP is not installed.
    static func onDispatch(chunks: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in shared.value(chunk) }
        }
    }

    /// Element-wise loops split across threads once arrays pass this many elements.
    public static let elementGrain = 1 << 15

    /// Keeps freed buffers in the process heap instead of returning them to the system, so that the large
    /// activations a training step allocates and frees are reused instead of page-faulted in anew.
    static func tuneAllocator() {
        #if canImport(Glibc)
        // glibc's mallopt, looked up at run time because the Glibc module does not export it.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3, mmapMaximum: Int32 = -4   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX
        _ = mallopt(mmapThreshold, 32 << 20)   // glibc's largest allowed value on 64-bit systems
        // Above that threshold glibc would still map every buffer afresh (t5-small's feed-forward activations are
        // 33.5 MB): no mapping at all keeps those in the heap too, reused step after step instead of faulted in.
        _ = mallopt(mmapMaximum, 0)
        _ = mallopt(trimThreshold, Int32.max)
        #endif
    }
}

/// Hands a value to other threads where the caller guarantees the accesses do not race.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
