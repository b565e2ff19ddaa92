import Foundation

/// The processes of one job and the collective operations data-parallel training needs; every process calls each
/// operation in the same order. ``SingleProcess`` is the job of one; ``OpenMPI`` the job a launcher started.
public protocol Communicator: AnyObject {
    /// This process's number, 0 for the one that writes.
    var rank: Int { get }
    /// How many processes the job has.
    var size: Int { get }
    /// Replaces `values` by their sum over every process (`MPI_Allreduce`).
    func sum(_ values: UnsafeMutableBufferPointer<Float>) throws(ClusterError)
    func sum(_ values: UnsafeMutableBufferPointer<Double>) throws(ClusterError)
    /// Replaces `bytes` by process `root`'s (`MPI_Bcast`).
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws(ClusterError)
    /// Stops every process of the job, after this one says why on standard error.
    func abort(_ message: String) -> Never
    /// Leaves the job (`MPI_Finalize`): the last call of a process that ends normally.
    func finish()
}

extension Communicator {
    public var isLeader: Bool { rank == 0 }

    public func sum(_ values: inout [Double]) throws(ClusterError) {
        try values.withUnsafeMutableBufferPointer { (pointer) throws(ClusterError) in try sum(pointer) }
    }
}

/// A job of one process: every collective operation leaves its values as they are.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func sum(_ values: UnsafeMutableBufferPointer<Double>) {}
    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) {}
    public func abort(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(1)
    }
    public func finish() {}
}

/// A collective operation or the library behind it failed.
public enum ClusterError: Error, CustomStringConvertible {
    case unavailable(String)
    case failed(operation: String, code: Int32)

    public var description: String {
        switch self {
        case .unavailable(let reason): return reason
        case let .failed(operation, code): return "\(operation) failed with MPI error \(code)"
        }
    }
}

/// The job this process belongs to: the launcher's, joined through Open MPI, where one started several ranks; else a
/// job of one. Open MPI is opened at run time, so the same binary runs anywhere, MPI installed or not.
public enum ProcessGroup {
    public static func join(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ClusterError) -> any Communicator {
        guard let expected = Launcher(environment: environment).ranks else { return SingleProcess() }
        let library = environment["IDGENREC_MPI_LIBRARY"] ?? OpenMPI.defaultLibrary
        let world = try OpenMPI(library: library)
        guard world.size == expected.size, world.rank == expected.rank else {
            let size = world.size
            world.finish()
            throw .unavailable("the launcher started rank \(expected.rank) of \(expected.size), but \(library) joined a job of \(size): "
                               + "launch with the Open MPI that provides \(library), or set IDGENREC_MPI_LIBRARY to the launcher's libmpi")
        }
        return world
    }
}
