import Foundation
import XCTest

/// Runs the built `idgenrec` as a user would and checks its output and exit status.
final class CommandLineTests: XCTestCase {
    private static let repository = CommandLine.repository
    private static let t5Fixture = repository.appendingPathComponent("Tests/T5Tests/Fixtures/t5_v1_0")
    private static let tokenizer = repository.appendingPathComponent("Tests/TokenizationTests/Fixtures/spiece.model")

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        try CommandLine.run(arguments)
    }

    func testHelpListsTheCommands() throws {
        let result = try run(["--help"])
        XCTAssertEqual(result.status, 0)
        for command in ["t5", "data", "bench"] { XCTAssertTrue(result.output.contains(command), "--help lacks \(command)") }
    }

    func testT5GenerateMatchesTransformersGreedyOutput() throws {
        let result = try run(["t5", "generate", "--model", Self.t5Fixture.path, "--tokenizer", Self.tokenizer.path,
                              "--text", "Jason Purifying Tea Tree Body Wash 30 fl oz", "--max-new-tokens", "8", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let sequences = try XCTUnwrap(object["sequences"] as? [[Int]])
        // transformers' greedy output for this input and these weights (expected.json, "greedy"[0]).
        XCTAssertEqual(sequences, [[0, 0, 0, 0, 0, 0, 0, 0, 0]])
        XCTAssertEqual((object["scores"] as? [Double])?.count, 1)
        XCTAssertEqual(object["text"] as? String, "Jason Purifying Tea Tree Body Wash 30 fl oz")
    }

    func testT5GenerateBeamsPrintsTheRequestedCount() throws {
        let result = try run(["t5", "generate", "--model", Self.t5Fixture.path, "--tokenizer", Self.tokenizer.path,
                              "--text", "tea tree", "--text", "eyeshadow", "--beams", "4", "--return", "3", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        let lines = result.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        for line in lines {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual((object["decoded"] as? [String])?.count, 3)
        }
    }

    func testMissingCheckpointIsAClearError() throws {
        let result = try run(["t5", "generate", "--model", "/nonexistent/model", "--tokenizer", Self.tokenizer.path, "--text", "x"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("/nonexistent/model/config.json"), result.error)
    }

    func testDataStatsOnTheBundledSample() throws {
        let result = try run(["data", "stats", Self.repository.appendingPathComponent("data/beauty-sample").path, "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        XCTAssertEqual(object["users"] as? Int, 2000)
        XCTAssertEqual(object["items"] as? Int, 7382)
        XCTAssertEqual(object["interactions"] as? Int, 17324)
    }

    func testMalformedDataNamesFileAndLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("{\"item_id\": \"a\", \"title\": \"A\"}\n{\"item_id\": \"b\", \"title\": \n".utf8).write(to: directory.appendingPathComponent("items.jsonl"))
        try Data("u1 a a a\n".utf8).write(to: directory.appendingPathComponent("user_sequence.txt"))
        let result = try run(["data", "stats", directory.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("items.jsonl:2"), result.error)
    }
}

/// Runs the built `idgenrec` and collects what it printed.
enum CommandLine {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func run(_ arguments: [String], environment: [String: String] = [:], in folder: URL? = nil,
                    executable: String = "idgenrec") throws -> (status: Int32, output: String, error: String) {
        try runProcess(arguments, environment: environment, in: folder, executable: executable).result
    }

    /// Runs the command (or another product built beside it) and also says whether it ended by a signal (the status is
    /// then the signal's number).
    /// A built product's path (on Linux the test bundle's URL is the products' folder itself).
    static func product(_ name: String) -> URL {
        var products = Bundle(for: CommandLineTests.self).bundleURL
        if products.pathExtension == "xctest" { products.deleteLastPathComponent() }
        return products.appendingPathComponent(name)
    }

    /// `executable`: a product built beside the tests, or an absolute path (a launcher such as `mpirun`).
    static func runProcess(_ arguments: [String], environment: [String: String] = [:], in folder: URL? = nil, executable: String = "idgenrec")
        throws -> (result: (status: Int32, output: String, error: String), killedBySignal: Bool) {
        let process = Process()
        process.executableURL = executable.hasPrefix("/") ? URL(fileURLWithPath: executable) : product(executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder ?? repository
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        // Standard error goes to a file, so that a chatty run cannot fill a pipe nobody is reading.
        let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("idgenrec-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorURL) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errData = (try? Data(contentsOf: errorURL)) ?? Data()
        return ((process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self)),
                process.terminationReason == .uncaughtSignal)
    }
}
