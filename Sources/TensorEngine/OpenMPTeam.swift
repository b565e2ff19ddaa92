import Foundation

/// The OpenMP runtime's thread team (GNU libgomp), where the system has it: the engine's parallel loops run on it,
/// the same threads oneDNN's bfloat16 products run on.
///
/// One pool for both is the point. Threads that sleep between parallel regions cost a wake-up each time, which on
/// the reference machine (a virtual one) is a sizeable part of a small product; threads that spin are free to wake,
/// but two pools that spin take the cores from each other. One team that spins for a while serves the element-wise
/// passes, attention and the products alike (tiny's train step, `idgenrec bench --config tiny --precision bfloat16`:
/// 280–329 examples/s on Dispatch and sleeping OpenMP threads, 313–339 on this team).
enum OpenMPTeam {
    typealias Task = @convention(c) (UnsafeMutableRawPointer?) -> Void

    struct Runtime: @unchecked Sendable {
        /// `GOMP_parallel(task, data, threads, flags)`: runs `task(data)` on every thread of a team, the caller included.
        let parallel: @convention(c) (Task, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void
        let threadNumber: @convention(c) () -> Int32
        let teamSize: @convention(c) () -> Int32
    }

    /// nil where libgomp is not installed; the engine's loops then run on Dispatch.
    static let runtime: Runtime? = load()

    private static func load() -> Runtime? {
        #if canImport(Glibc)
        // The runtime reads its settings once, as it loads. A user's own setting stands.
        let environment = ProcessInfo.processInfo.environment
        if environment["OMP_WAIT_POLICY"] == nil && environment["GOMP_SPINCOUNT"] == nil {
            setenv("GOMP_SPINCOUNT", String(spinCount), 1)
        }
        guard let handle = dlopen("libgomp.so.1", RTLD_NOW | RTLD_GLOBAL),
              let parallel = dlsym(handle, "GOMP_parallel"),
              let threadNumber = dlsym(handle, "omp_get_thread_num"),
              let teamSize = dlsym(handle, "omp_get_num_threads") else { return nil }
        return Runtime(
            parallel: unsafeBitCast(parallel, to: (@convention(c) (Task, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void).self),
            threadNumber: unsafeBitCast(threadNumber, to: (@convention(c) () -> Int32).self),
            teamSize: unsafeBitCast(teamSize, to: (@convention(c) () -> Int32).self))
        #else
        return nil
        #endif
    }

    /// How many times a thread polls for the next region before it sleeps (`GOMP_SPINCOUNT`): enough to span the
    /// gaps between one step's ops, so that a team's threads sleep only when the work pauses. On the reference
    /// machine (`GOMP_SPINCOUNT=N idgenrec bench --config small --precision bfloat16`, a few runs each): 10⁶, 10⁷ and
    /// never sleeping (`OMP_WAIT_POLICY=active`) measured alike within the machine's noise (search 44–63 ms a user,
    /// train step 12.8–15 examples/s); sleeping at once (`OMP_WAIT_POLICY=passive`) cut the train step to 11.2.
    static let spinCount = 1_000_000

    /// Calls `body` once per chunk, chunks spread over a team of up to `chunks` threads (fewer when the team is
    /// smaller, e.g. inside another parallel region, where each thread takes several chunks in turn).
    static func run(_ runtime: Runtime, chunks: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var job = Job(body: body, chunks: chunks)
            withUnsafeMutablePointer(to: &job) { job in
                runtime.parallel(runJob, UnsafeMutableRawPointer(job), UInt32(chunks), 0)
            }
        }
    }

    private struct Job {
        let body: (Int) -> Void
        let chunks: Int
    }

    private static let runJob: Task = { data in
        guard let runtime = OpenMPTeam.runtime, let job = data?.assumingMemoryBound(to: Job.self) else { return }
        let step = max(1, Int(runtime.teamSize()))
        var chunk = Int(runtime.threadNumber())
        while chunk < job.pointee.chunks {
            job.pointee.body(chunk)
            chunk += step
        }
    }
}
