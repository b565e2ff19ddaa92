import Cluster
import XCTest

final class ShardTests: XCTestCase {
    func testShardsCoverTheJobInOrderWithoutOverlap() throws {
        for total in [0, 1, 5, 40, 129] {
            for granule in [1, 16, 128] {
                for count in [1, 2, 3, 7] {
                    let ranges = try (1...count).map { try Shard(index: $0, count: count).range(of: total, granule: granule) }
                    XCTAssertEqual(ranges.first?.lowerBound, 0)
                    XCTAssertEqual(ranges.last?.upperBound, total)
                    for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                    // Every boundary inside the job falls on a whole block.
                    for range in ranges where !range.isEmpty && range.upperBound < total { XCTAssertEqual(range.upperBound % granule, 0) }
                }
            }
        }
        // More shards than blocks: some shards are empty, the others hold whole blocks.
        XCTAssertEqual(try Shard(index: 1, count: 3).range(of: 24, granule: 16), 0..<0)
        XCTAssertEqual(try Shard(index: 2, count: 3).range(of: 24, granule: 16), 0..<16)
        XCTAssertEqual(try Shard(index: 3, count: 3).range(of: 24, granule: 16), 16..<24)
    }

    func testBadShardsAreClearErrors() {
        for text in ["0/2", "3/2", "1/0", "2", "a/b", "1/2/3", ""] {
            XCTAssertThrowsError(try Shard(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains("shard") || "\(error)".contains("--shard"), "\(error)")
            }
        }
        XCTAssertEqual(try Shard(parsing: "2/8"), try Shard(index: 2, count: 8))
    }

    func testTheSchedulerSaysWhichShard() throws {
        func shard(_ environment: [String: String], count: Int? = nil) throws -> Shard? {
            try Launcher(environment: environment).shard(count: count)?.shard
        }
        XCTAssertNil(try shard([:]))
        // A Slurm array numbered from 1: the task's place in the array.
        XCTAssertEqual(try shard(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"]), try Shard(index: 3, count: 4))
        // A Kubernetes Indexed Job: the count comes from --shards.
        XCTAssertEqual(try shard(["JOB_COMPLETION_INDEX": "0"], count: 5), try Shard(index: 1, count: 5))
        XCTAssertThrowsError(try shard(["JOB_COMPLETION_INDEX": "0"])) { XCTAssertTrue("\($0)".contains("--shards"), "\($0)") }
        // MPI ranks (mpirun, srun).
        XCTAssertEqual(try shard(["OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2"]), try Shard(index: 2, count: 2))
        XCTAssertEqual(try shard(["SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "4"]), try Shard(index: 1, count: 4))
        XCTAssertNil(Launcher(environment: ["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "1"]).ranks, "one rank is a process alone")
        XCTAssertThrowsError(try shard([:], count: 3)) { XCTAssertTrue("\($0)".contains("--shard I/3"), "\($0)") }
        XCTAssertThrowsError(try shard(["SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_COUNT": "4"]))
    }

    func testAProcessAloneNeedsNoMPI() throws {
        let group = try ProcessGroup.join(environment: [:])
        XCTAssertEqual(group.size, 1)
        XCTAssertEqual(group.rank, 0)
        var values: [Double] = [1, 2]
        try group.sum(&values)
        XCTAssertEqual(values, [1, 2])
        // Started as a rank of several, with no MPI library to join: an error that says what to install.
        XCTAssertThrowsError(try ProcessGroup.join(environment: ["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "2",
                                                                 "IDGENREC_MPI_LIBRARY": "libmpi-that-does-not-exist.so"])) { error in
            XCTAssertTrue("\(error)".contains("IDGENREC_MPI_LIBRARY"), "\(error)")
        }
    }
}
