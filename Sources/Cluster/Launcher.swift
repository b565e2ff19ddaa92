import Foundation

/// What the process's environment says about how it was started: as one rank of several (by `mpirun`, `srun` or
/// another PMI launcher), and as one task of an array (a Slurm job array, a Kubernetes Indexed Job).
public struct Launcher: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    /// This process's rank and the number of ranks, where a launcher started several: Open MPI's `mpirun`
    /// (`OMPI_COMM_WORLD_RANK`/`_SIZE`), PMI launchers such as Hydra and `srun --mpi=pmi2` (`PMI_RANK`/`PMI_SIZE`), or a
    /// Slurm step (`SLURM_PROCID`/`SLURM_STEP_NUM_TASKS`); nil for a process started alone.
    public var ranks: (rank: Int, size: Int)? {
        for (rank, size) in [("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"), ("PMI_RANK", "PMI_SIZE"), ("SLURM_PROCID", "SLURM_STEP_NUM_TASKS")] {
            if let r = integer(rank), let s = integer(size), s > 1, (0..<s).contains(r) { return (r, s) }
        }
        return nil
    }

    /// The shard a scheduler gives this process: `count` shards where the caller knows it (`--shards N`), else the
    /// scheduler's own count. Read, in order: a Slurm array task (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` of
    /// `SLURM_ARRAY_TASK_COUNT`), a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` (its count is the Job's
    /// `completions`, which a pod is not told: pass `--shards`), then the MPI rank and size. Nil when none is set.
    public func shard(count: Int? = nil) throws(ShardError) -> (shard: Shard, source: String)? {
        if let task = integer("SLURM_ARRAY_TASK_ID") {
            let first = integer("SLURM_ARRAY_TASK_MIN") ?? 0
            guard let total = count ?? integer("SLURM_ARRAY_TASK_COUNT") else {
                throw .invalid("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: pass --shards N")
            }
            return (try Shard(index: task - first + 1, count: total), "SLURM_ARRAY_TASK_ID \(task) of \(total)")
        }
        if let index = integer("JOB_COMPLETION_INDEX") {
            guard let count else {
                throw .invalid("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the number of shards is not: pass --shards N, the Job's completions")
            }
            return (try Shard(index: index + 1, count: count), "JOB_COMPLETION_INDEX \(index) of \(count)")
        }
        if let (rank, size) = ranks {
            return (try Shard(index: rank + 1, count: count ?? size), "rank \(rank) of \(size)")
        }
        if let count { throw .invalid("--shards \(count): no scheduler says which shard this process is (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or an MPI rank): pass --shard I/\(count)") }
        return nil
    }

    private func integer(_ name: String) -> Int? { environment[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
}
