import DurableFiles
import ArgumentParser
import Foundation
import IDGenRec
import TensorEngine

/// `idgenrec report RUN`: the run as one self-contained HTML page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write a run's report: one HTML file with training curves, validation, evaluations and ID statistics.")

    @Argument(help: "Run folder made by `idgenrec train`.", completion: .directory) var folder: String
    @Option(help: "Where to write the page (default: RUN/report.html).", completion: .file(extensions: ["html"])) var out: String?

    func run() throws {
        let report = try RunReport(run: RunDirectory(URL(fileURLWithPath: folder)))
        let path = out ?? (folder as NSString).appendingPathComponent("report.html")
        try AtomicFile.write(Data(report.html().utf8), to: URL(fileURLWithPath: path))
        print("wrote \(path): \(report.phases.count) phases, \(report.validations.count) validations, \(report.evaluations.count) evaluations")
    }
}
