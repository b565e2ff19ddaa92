import XCTest
@testable import TensorEngine

/// The engine's two thread pools: every chunk runs exactly once, whatever the team's size, nested or not.
final class ParallelTests: XCTestCase {
    /// How many times each chunk ran, counted by chunk (each chunk writes only its own slot).
    private func runs(chunks: Int, _ schedule: (Int, (Int) -> Void) -> Void) -> [Int] {
        var counts = [Int](repeating: 0, count: chunks)
        counts.withUnsafeMutableBufferPointer { counts in
            schedule(chunks) { chunk in counts[chunk] += 1 }
        }
        return counts
    }

    func testOpenMPTeamRunsEveryChunkOnce() throws {
        guard let team = OpenMPTeam.runtime else { throw XCTSkip("libgomp is not installed: the engine's loops run on Dispatch") }
        for chunks in [1, 2, 3, 7, 64] {
            XCTAssertEqual(runs(chunks: chunks) { OpenMPTeam.run(team, chunks: $0, $1) }, Array(repeating: 1, count: chunks))
        }
    }

    func testDispatchRunsEveryChunkOnce() {
        for chunks in [1, 2, 3, 7, 64] {
            XCTAssertEqual(runs(chunks: chunks) { Parallel.onDispatch(chunks: $0, $1) }, Array(repeating: 1, count: chunks))
        }
    }

    /// A loop inside another's body (the inner one gets a team of one under OpenMP) still covers its whole range.
    func testNestedLoopsCoverTheirRanges() {
        let previous = Parallel.threadCount
        Parallel.setThreadCount(4)
        defer { Parallel.setThreadCount(previous) }
        var covered = [UInt8](repeating: 0, count: 40 * 1000)
        covered.withUnsafeMutableBufferPointer { covered in
            Parallel.forEach(40) { outer in
                for row in outer {
                    Parallel.forEach(1000, grain: 100) { inner in for j in inner { covered[row * 1000 + j] += 1 } }
                }
            }
        }
        XCTAssertEqual(covered.count { $0 != 1 }, 0)
    }
}
