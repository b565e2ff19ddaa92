#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The job's processes through Open MPI's C library, opened at run time (`dlopen`), as the engine opens OpenBLAS and
/// oneDNN: no MPI headers to build, no MPI needed to run alone. Open MPI's handles (`MPI_COMM_WORLD`, `MPI_FLOAT`,
/// `MPI_SUM`) are the addresses of its predefined objects, so `dlsym` finds them by name.
public final class OpenMPI: Communicator {
    public static let defaultLibrary = "libmpi.so.40"

    public let rank: Int
    public let size: Int
    private let world: OpaquePointer, float: OpaquePointer, double: OpaquePointer, byte: OpaquePointer, add: OpaquePointer
    private let allreduce: Allreduce, bcast: Bcast, abortJob: Abort, finalize: Finalize
    private var finished = false

    private typealias InitThread = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?,
                                                   Int32, UnsafeMutablePointer<Int32>) -> Int32
    private typealias CommQuery = @convention(c) (OpaquePointer, UnsafeMutablePointer<Int32>) -> Int32
    private typealias Allreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, OpaquePointer, OpaquePointer, OpaquePointer) -> Int32
    private typealias Bcast = @convention(c) (UnsafeMutableRawPointer?, Int32, OpaquePointer, Int32, OpaquePointer) -> Int32
    private typealias Abort = @convention(c) (OpaquePointer, Int32) -> Int32
    private typealias Finalize = @convention(c) () -> Int32

    /// Opens `library` and joins the launcher's job (`MPI_Init_thread`, the main thread alone calling MPI).
    public init(library: String = OpenMPI.defaultLibrary) throws(ClusterError) {
        // Global, so that the plug-ins Open MPI opens in turn see its symbols.
        guard let handle = dlopen(library, RTLD_NOW | RTLD_GLOBAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            throw .unavailable("this process was started as one rank of several, but Open MPI could not be opened (\(reason)): "
                               + "install Open MPI (Debian: openmpi-bin) or set IDGENREC_MPI_LIBRARY to its libmpi")
        }
        func symbol(_ name: String) throws(ClusterError) -> UnsafeMutableRawPointer {
            guard let address = dlsym(handle, name) else { throw .unavailable("\(library) has no \(name): is it Open MPI?") }
            return address
        }
        let initThread = unsafeBitCast(try symbol("MPI_Init_thread"), to: InitThread.self)
        let commRank = unsafeBitCast(try symbol("MPI_Comm_rank"), to: CommQuery.self)
        let commSize = unsafeBitCast(try symbol("MPI_Comm_size"), to: CommQuery.self)
        allreduce = unsafeBitCast(try symbol("MPI_Allreduce"), to: Allreduce.self)
        bcast = unsafeBitCast(try symbol("MPI_Bcast"), to: Bcast.self)
        abortJob = unsafeBitCast(try symbol("MPI_Abort"), to: Abort.self)
        finalize = unsafeBitCast(try symbol("MPI_Finalize"), to: Finalize.self)
        world = OpaquePointer(try symbol("ompi_mpi_comm_world"))
        float = OpaquePointer(try symbol("ompi_mpi_float"))
        double = OpaquePointer(try symbol("ompi_mpi_double"))
        byte = OpaquePointer(try symbol("ompi_mpi_byte"))
        add = OpaquePointer(try symbol("ompi_mpi_op_sum"))
        var provided: Int32 = 0
        let funneled: Int32 = 1   // MPI_THREAD_FUNNELED: the engine's threads never call MPI
        guard initThread(nil, nil, funneled, &provided) == 0 else { throw .unavailable("MPI_Init_thread failed") }
        var value: Int32 = 0
        guard commRank(world, &value) == 0 else { throw .failed(operation: "MPI_Comm_rank", code: -1) }
        rank = Int(value)
        guard commSize(world, &value) == 0 else { throw .failed(operation: "MPI_Comm_size", code: -1) }
        size = Int(value)
    }

    /// Open MPI's `MPI_IN_PLACE` (the address 1): the receive buffer is the send buffer.
    private static var inPlace: UnsafeRawPointer? { UnsafeRawPointer(bitPattern: 1) }

    /// Counts are 32-bit in MPI's C interface: a long buffer goes in pieces.
    private static let largestCount = 1 << 30

    public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws(ClusterError) {
        try reduce(UnsafeMutableRawPointer(values.baseAddress), count: values.count, stride: 4, type: float)
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Double>) throws(ClusterError) {
        try reduce(UnsafeMutableRawPointer(values.baseAddress), count: values.count, stride: 8, type: double)
    }

    private func reduce(_ base: UnsafeMutableRawPointer?, count: Int, stride: Int, type: OpaquePointer) throws(ClusterError) {
        guard let base else { return }
        for start in Swift.stride(from: 0, to: count, by: Self.largestCount) {
            let code = allreduce(Self.inPlace, base + start * stride, Int32(min(Self.largestCount, count - start)), type, add, world)
            guard code == 0 else { throw .failed(operation: "MPI_Allreduce", code: code) }
        }
    }

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws(ClusterError) {
        guard let base = bytes.baseAddress else { return }
        for start in Swift.stride(from: 0, to: bytes.count, by: Self.largestCount) {
            let code = bcast(base + start, Int32(min(Self.largestCount, bytes.count - start)), byte, Int32(root), world)
            guard code == 0 else { throw .failed(operation: "MPI_Bcast", code: code) }
        }
    }

    public func abort(_ message: String) -> Never {
        FileHandle.standardError.write(Data(("rank \(rank) of \(size): \(message)\n").utf8))
        _ = abortJob(world, 1)
        exit(1)
    }

    public func finish() {
        guard !finished else { return }
        finished = true
        _ = finalize()
    }
}
