import DurableFiles
import Foundation
import XCTest

final class AtomicFileTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        AtomicFile.faultHook = nil
        try? FileManager.default.removeItem(at: folder)
    }

    struct Crash: Error {}

    func testWriteReplacesTheFileAndLeavesNoTemporary() throws {
        let file = folder.appendingPathComponent("a.json")
        try AtomicFile.write(Data("old".utf8), to: file)
        try AtomicFile.write(Data("new".utf8), to: file)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "new")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["a.json"])
    }

    func testACrashBetweenWriteAndRenameLeavesTheOldFileWhole() throws {
        let file = folder.appendingPathComponent("a.json")
        let old = Data(repeating: 7, count: 100_000)
        try AtomicFile.write(old, to: file)
        var reached: [AtomicFile.Moment] = []
        AtomicFile.faultHook = { moment, _ in reached.append(moment); throw Crash() }
        XCTAssertThrowsError(try AtomicFile.write(Data("new, never seen".utf8), to: file))
        XCTAssertEqual(reached, [.beforeRename], "the hook runs once the new bytes are flushed, before the rename")
        XCTAssertEqual(try Data(contentsOf: file), old)
    }

    func testACrashInsideAFolderSwapLeavesBothCopiesWhole() throws {
        let target = folder.appendingPathComponent("checkpoint"), staging = folder.appendingPathComponent(".new"),
            retired = folder.appendingPathComponent(".old")
        try AtomicFile.replaceFolder(target, staging: staging, retired: retired) { try Data("1".utf8).write(to: $0.appendingPathComponent("state")) }
        AtomicFile.faultHook = { moment, _ in if moment == .betweenFolderRenames { throw Crash() } }
        XCTAssertThrowsError(try AtomicFile.replaceFolder(target, staging: staging, retired: retired) {
            try Data("2".utf8).write(to: $0.appendingPathComponent("state"))
        })
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.path))
        XCTAssertEqual(try String(contentsOf: retired.appendingPathComponent("state"), encoding: .utf8), "1")
        XCTAssertEqual(try String(contentsOf: staging.appendingPathComponent("state"), encoding: .utf8), "2")
        AtomicFile.faultHook = nil
        try AtomicFile.replaceFolder(target, staging: staging, retired: retired) { try Data("3".utf8).write(to: $0.appendingPathComponent("state")) }
        XCTAssertEqual(try String(contentsOf: target.appendingPathComponent("state"), encoding: .utf8), "3")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["checkpoint"])
    }

    func testAnUnwritableTargetNamesThePath() throws {
        let file = folder.appendingPathComponent("missing-parent-is-a-file")
        try Data().write(to: file)
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: file.appendingPathComponent("child.json"))) { error in
            XCTAssertTrue("\(error)".contains("child.json"), "\(error)")
        }
    }
}
