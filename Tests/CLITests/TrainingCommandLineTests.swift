import Foundation
import XCTest

/// `train`, `evaluate`, `recommend` and `ids` through the built command, on a tiny catalogue.
final class TrainingCommandLineTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-train-\(UUID().uuidString)")
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let brands = ["Maybelline", "Olay", "Dove", "Neutrogena", "Revlon", "Garnier"]
        var items = "", sequences = ""
        for i in 0..<24 { items += "{\"item_id\": \"i\(i)\", \"title\": \"\(brands[i % 6]) Lotion Number \(i)\"}\n" }
        for u in 0..<40 { sequences += "u\(u) " + (0..<6).map { "i\((u + $0 * 3) % 24)" }.joined(separator: " ") + "\n" }
        try Data(items.utf8).write(to: data.appendingPathComponent("items.jsonl"))
        try Data(sequences.utf8).write(to: data.appendingPathComponent("user_sequence.txt"))
        let shape = #"{"modelWidth": 16, "heads": 2, "headWidth": 8, "feedForwardWidth": 32, "encoderLayers": 1, "decoderLayers": 1}"#
        let configuration = """
        {"generator": \(shape), "recommender": \(shape), "warmStartEpochs": 2, "rounds": 2, "recommenderEpochs": 1,
         "idEpochs": 1, "validationUsers": 10, "evaluationBeams": 20, "generatorSettings": {"candidates": 3, "maximumIDTokens": 4,
         "maximumTextTokens": 32, "batchSize": 16}}
        """
        try Data(configuration.utf8).write(to: directory.appendingPathComponent("tiny.json"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testTrainEvaluateRecommendAndExport() throws {
        let data = directory.appendingPathComponent("data").path, run = directory.appendingPathComponent("run").path
        let vocabulary = CommandLine.repository.appendingPathComponent("vocab/idgenrec-8k.model").path
        var result = try CommandLine.run(["train", "--data", data, "--out", run, "--config", directory.appendingPathComponent("tiny.json").path,
                                          "--tokenizer", vocabulary])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.error.contains("phases: warm-start → recommender-1 → ids-2 → recommender-2"), result.error)
        // Training again into the same folder without --resume is refused; with it there is nothing left to do.
        result = try CommandLine.run(["train", "--data", data, "--out", run, "--tokenizer", vocabulary])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("--resume"), result.error)
        XCTAssertEqual(try CommandLine.run(["train", "--data", data, "--out", run, "--resume"]).status, 0)

        // Too few beams for HR@20 is refused, not answered wrongly.
        result = try CommandLine.run(["evaluate", "--model", run, "--data", data, "--beams", "5"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("--beams 5 cannot measure HR@20"), result.error)
        // The model and every baseline, one JSON line each, under the same protocol.
        result = try CommandLine.run(["evaluate", "--model", run, "--data", data, "--split", "validation", "--baselines", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        let rows = try result.output.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(rows.map { $0["model"] as? String }, [run, "popular", "text", "cooc", "cooc-text", "cooc-forward", "sasrec", "bsarec"])
        for row in rows {
            for key in ["users", "hr@5", "hr@10", "hr@20", "ndcg@5", "ndcg@10", "ndcg@20"] { XCTAssertNotNil(row[key], key) }
            XCTAssertEqual(row["users"] as? Int, 40)
            XCTAssertEqual(row["history_excluded"] as? Bool, true)
        }
        XCTAssertNotNil(rows[4]["text_weight"], "the blend's weight, chosen on validation, is reported")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/evaluation-data-validation.ranks.tsv"))
        // A probe on random users: its own file, the draw recorded, the whole split's result left as it was.
        let whole = try Data(contentsOf: URL(fileURLWithPath: run + "/evaluation-data-validation.json"))
        result = try CommandLine.run(["evaluate", "--model", run, "--data", data, "--split", "validation", "--users", "10", "--user-seed", "3"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/evaluation-data-validation.json")), whole)
        let probe = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/evaluation-data-validation-users-10-seed-3.json"))) as? [String: Any])
        XCTAssertEqual(probe["users"] as? Int, 10)
        XCTAssertEqual(probe["sampled_users"] as? Int, 10)
        XCTAssertEqual(probe["split_users"] as? Int, 40)
        XCTAssertEqual(probe["sample_seed"] as? Int, 3)
        // A decoding setting tried from the command line: its own file too.
        result = try CommandLine.run(["evaluate", "--model", run, "--data", data, "--split", "validation", "--copy-bonus", "2"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/evaluation-data-validation.json")), whole)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/evaluation-data-validation-copy-bonus-2.0.json"))
        // `tune` chooses the decoding settings on validation and keeps them: the run's next evaluation decodes with them
        // and measures what the search measured on the same (here: all) users.
        let search = directory.appendingPathComponent("search.json")
        try Data(#"{"users": 0, "copyBonus": [0, 2, 8]}"#.utf8).write(to: search)
        result = try CommandLine.run(["tune", "--model", run, "--data", data, "--search", search.path])
        XCTAssertEqual(result.status, 0, result.error)
        let chosenLine = try XCTUnwrap(result.output.split(separator: "\n").first { $0.hasSuffix(" *") }, result.output)
        let chosenNDCG = try XCTUnwrap(Double(chosenLine.split(separator: " ")[0]))
        let chosenBonus = try XCTUnwrap(Double(chosenLine.components(separatedBy: "copy bonus ")[1].split(separator: ",")[0]))
        XCTAssertEqual(result.output.split(separator: "\n").filter { $0.contains("copy bonus") }.count, 4, "three values and the recipe's, once each: \(result.output)")
        result = try CommandLine.run(["evaluate", "--model", run, "--data", data, "--split", "validation", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        let tuned = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/evaluation-data-validation.json"))) as? [String: Any])
        XCTAssertEqual(tuned["copy_bonus"] as? Double, chosenBonus)
        XCTAssertEqual(try XCTUnwrap(tuned["ndcg@10"] as? Double), chosenNDCG, accuracy: 5e-5, "the table prints 4 decimals")

        result = try CommandLine.run(["recommend", "--model", run, "--history", "i1,i4", "-k", "3", "--beams", "5", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        let recommendations = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])?["recommendations"] as? [[String: Any]])
        XCTAssertEqual(recommendations.count, 3)
        XCTAssertNotNil(recommendations[0]["textual_id"] as? String)
        // The top of a list does not depend on its length: -k 3 is the first three of -k 10 (both search 20 beams).
        func itemIDs(_ arguments: [String]) throws -> [String] {
            let result = try CommandLine.run(["recommend", "--model", run, "--json"] + arguments)
            XCTAssertEqual(result.status, 0, result.error)
            return try result.output.split(separator: "\n").flatMap { line in
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try XCTUnwrap(object["recommendations"] as? [[String: Any]]).map { $0["item_id"] as! String }
            }
        }
        let ten = try itemIDs(["--history", "i1,i4", "-k", "10"])
        XCTAssertEqual(try itemIDs(["--history", "i1,i4", "-k", "3"]), Array(ten.prefix(3)))
        // Many histories from a file, one JSON line each, the same answers as one at a time.
        let file = directory.appendingPathComponent("histories.txt")
        try Data("i1,i4\n\ni7 i2 i9\n".utf8).write(to: file)
        let batch = try itemIDs(["--histories", file.path, "-k", "3"])
        XCTAssertEqual(batch, Array(ten.prefix(3)) + (try itemIDs(["--history", "i7,i2,i9", "-k", "3"])))
        result = try CommandLine.run(["recommend", "--model", run, "--history", "i1,nope"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("unknown item \"nope\""), result.error)

        let exported = directory.appendingPathComponent("ids.jsonl").path
        result = try CommandLine.run(["ids", "export", "--model", run, "--out", exported])
        XCTAssertEqual(result.status, 0, result.error)
        let lines = try String(contentsOfFile: exported, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 24)
        // An evaluation through another dictionary lands beside the first, named by what it read, and says how it ran.
        result = try CommandLine.run(["evaluate", "--model", run, "--data", data, "--ids", exported])
        XCTAssertEqual(result.status, 0, result.error)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/evaluation-data-test-ids-ids.json"))) as? [String: Any])
        for key in ["dataset", "split", "protocol", "beams", "seconds", "ids", "ndcg@10"] { XCTAssertNotNil(record[key], key) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/evaluation-data-validation.json"), "the earlier result is kept")
        let generated = directory.appendingPathComponent("generated.tsv").path
        XCTAssertEqual(try CommandLine.run(["ids", "generate", "--model", run, "--data", data, "--out", generated]).status, 0)
        XCTAssertEqual(try CommandLine.run(["evaluate", "--model", run, "--data", data, "--zero-shot", "--beams", "5", "--cutoffs", "1", "5", "--out",
                                            directory.appendingPathComponent("zs.json").path]).status, 0)

        // Baselines alone write their results where --out says (its folder made), and nowhere without it.
        let baselinesOut = directory.appendingPathComponent("new-folder/baselines.json").path
        result = try CommandLine.run(["evaluate", "--baseline", "popular", "cooc", "--data", data, "--out", baselinesOut])
        XCTAssertEqual(result.status, 0, result.error)
        let baselinesRecord = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: baselinesOut))) as? [String: Any])
        XCTAssertEqual((baselinesRecord["baselines"] as? [String: Any]).map { Set($0.keys) }, ["popular", "cooc"])
        XCTAssertNil(baselinesRecord["ndcg@10"], "no model was evaluated")
        result = try CommandLine.run(["evaluate", "--baseline", "nope", "--data", data])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("unknown baseline \"nope\""), result.error)

        // The examples, built with the package, run on this run.
        result = try CommandLine.run([run, "i1", "i4"], executable: "recommend-example")
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.output.split(separator: "\n").filter { $0.hasPrefix("had") }.count, 2, result.output)
        XCTAssertEqual(result.output.split(separator: "\n").count, 12, "two history items, ten recommendations: \(result.output)")
        result = try CommandLine.run([run + "/checkpoint/recommender", vocabulary, "Olay Lotion"], executable: "generate-text")
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.output.split(separator: "\n").filter { $0.hasPrefix("beams 4") }.count, 4, result.output)
    }

    /// A run trained on two catalogues serves a third zero-shot: evaluation labels its peers, recommendations name the
    /// new catalogue's items, its IDs are cached beside the run, and a packed half-precision copy serves the same way.
    func testZeroShotOnACatalogueTheRunNeverSaw() throws {
        func writeCatalogue(_ name: String, products: [String]) throws -> String {
            let folder = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let brands = ["Acme", "Bolt", "Crest", "Delta"]
            var items = "", sequences = ""
            for (b, brand) in brands.enumerated() {
                for (p, product) in products.enumerated() { items += "{\"item_id\": \"\(name)\(b * 10 + p)\", \"title\": \"\(brand) \(product)\"}\n" }
            }
            for u in 0..<12 { sequences += "u\(u) " + (0..<4).map { "\(name)\((u % 4) * 10 + (u + $0) % products.count)" }.joined(separator: " ") + "\n" }
            try Data(items.utf8).write(to: folder.appendingPathComponent("items.jsonl"))
            try Data(sequences.utf8).write(to: folder.appendingPathComponent("user_sequence.txt"))
            return folder.path
        }
        let shoes = try writeCatalogue("shoes", products: ["Shoe", "Boot", "Sock", "Lace", "Heel"])
        let hats = try writeCatalogue("hats", products: ["Cap", "Beret", "Hood", "Visor", "Helmet"])
        let kitchen = try writeCatalogue("kitchen", products: ["Mug", "Jar", "Tin", "Dish", "Tray"])
        let run = directory.appendingPathComponent("run").path
        var result = try CommandLine.run(["train", "--data", shoes, "--data", hats, "--out", run, "--config", directory.appendingPathComponent("tiny.json").path,
                                          "--id-design", "title-words", "--rounds", "1", "--recommender-epochs", "1"])
        XCTAssertEqual(result.status, 0, result.error)
        let recorded = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/catalogues.json"))) as? [[String: Any]])
        XCTAssertEqual(recorded.map { $0["name"] as? String }, ["shoes", "hats"])
        XCTAssertEqual(recorded.map { $0["users"] as? Int }, [12, 12])
        result = try CommandLine.run(["train", "--data", hats, "--data", shoes, "--out", run, "--resume"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("was trained on shoes, hats: resume it with --data for each, in that order"), result.error)

        result = try CommandLine.run(["evaluate", "--model", run, "--data", kitchen, "--zero-shot", "--baselines", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertFalse(result.error.contains("warning"), result.error)
        let rows = try result.output.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let peers = Dictionary(uniqueKeysWithValues: rows.map { ($0["model"] as! String, $0["zero_shot_peer"] as? Bool) })
        XCTAssertEqual(peers, [run: true, "text": true, "popular": false, "cooc": false, "cooc-text": false, "cooc-forward": false, "sasrec": false, "bsarec": false])
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/evaluation-kitchen-test-zero-shot.json"))) as? [String: Any])
        XCTAssertEqual(record["training_catalogues"] as? [String], ["shoes", "hats"])
        XCTAssertEqual(record["shared_items"] as? Int, 0)
        // A training catalogue is no zero-shot target: said, not silently scored as one.
        result = try CommandLine.run(["evaluate", "--model", run, "--data", shoes, "--zero-shot"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.error.contains("warning: shoes is one of the run's training catalogues (shoes, hats)"), result.error)

        func recommended(_ model: String) throws -> [String] {
            let result = try CommandLine.run(["recommend", "--model", model, "--data", kitchen, "--history", "kitchen10,kitchen11", "-k", "5", "--json"])
            XCTAssertEqual(result.status, 0, result.error)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            return try XCTUnwrap(object["recommendations"] as? [[String: Any]]).map { $0["item_id"] as! String }
        }
        let items = try recommended(run)
        XCTAssertEqual(items.count, 5)
        XCTAssertTrue(items.allSatisfy { $0.hasPrefix("kitchen") && !["kitchen10", "kitchen11"].contains($0) }, "\(items)")
        // One file per catalogue served, evaluation and recommendation reading the same one.
        let cached = try FileManager.default.contentsOfDirectory(atPath: run + "/zero-shot").filter { $0.hasPrefix("kitchen-") }
        XCTAssertEqual(cached.count, 1, "\(cached)")
        result = try CommandLine.run(["recommend", "--model", run, "--data", kitchen, "--history", "kitchen10,shoes1"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("unknown item \"shoes1\": it is not in the catalogue kitchen"), result.error)

        // Packed with half-precision weights: smaller, and it serves the new catalogue from its own cache.
        let packed = directory.appendingPathComponent("packed").path
        result = try CommandLine.run(["pack", "--model", run, "--out", packed, "--half"])
        XCTAssertEqual(result.status, 0, result.error)
        let weights = { (folder: String) in try FileManager.default.attributesOfItem(atPath: folder + "/checkpoint/recommender/model.safetensors")[.size] as! Int }
        XCTAssertLessThan(try weights(packed), try weights(run) / 2 + 4096)
        XCTAssertFalse(FileManager.default.fileExists(atPath: packed + "/zero-shot"))
        XCTAssertEqual(try recommended(packed).count, 5)
        XCTAssertNotEqual(try CommandLine.run(["pack", "--model", run, "--out", packed]).status, 0, "an existing run is never overwritten")
    }

    /// The zero-shot model in `data/` serves a catalogue in the project format without training: it was trained on the
    /// three Amazon catalogues, so the bundled Beauty sample draws the overlap warning, and it still answers.
    func testTheShippedZeroShotModelServesACatalogue() throws {
        let model = directory.appendingPathComponent("zero-shot-model")
        // A copy, so that the IDs it caches for the sample are written beside the copy, not into the repository.
        try FileManager.default.copyItem(at: CommandLine.repository.appendingPathComponent("data/zero-shot-model"), to: model)
        try? FileManager.default.removeItem(at: model.appendingPathComponent("zero-shot"))
        let recorded = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("catalogues.json"))) as? [[String: Any]])
        XCTAssertEqual(recorded.map { $0["name"] as? String }, ["beauty", "sports", "toys"])

        let sample = CommandLine.repository.appendingPathComponent("data/beauty-sample").path
        var result = try CommandLine.run(["evaluate", "--model", model.path, "--data", sample, "--zero-shot", "--split", "test",
                                          "--users", "200", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.error.contains("warning: beauty-sample shares"), result.error)
        let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        XCTAssertEqual(row["users"] as? Int, 200)
        XCTAssertGreaterThan(try XCTUnwrap(row["hr@20"] as? Double), 0, "\(row)")

        result = try CommandLine.run(["recommend", "--model", model.path, "--data", sample, "--history", "7806397051,B009PZVOF6", "-k", "3", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        let answer = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let items = try XCTUnwrap(answer["recommendations"] as? [[String: Any]]).compactMap { $0["item_id"] as? String }
        XCTAssertEqual(items.count, 3)
        let catalogue = try String(contentsOfFile: sample + "/items.jsonl", encoding: .utf8)
        for item in items {
            XCTAssertTrue(catalogue.contains("\"item_id\": \"\(item)\""), "\(item) is not in the sample")
            XCTAssertFalse(["7806397051", "B009PZVOF6"].contains(item))
        }
    }

    /// `--precision bfloat16` either serves the same recommendations as float32 (where oneDNN and AVX-512 BF16 are
    /// here) or refuses, saying what is missing; an unknown precision is refused by name.
    func testBFloat16PrecisionServesOrSaysWhyNot() throws {
        let model = directory.appendingPathComponent("zero-shot-model")
        try FileManager.default.copyItem(at: CommandLine.repository.appendingPathComponent("data/zero-shot-model"), to: model)
        let sample = CommandLine.repository.appendingPathComponent("data/beauty-sample").path
        func recommend(_ precision: String) throws -> (status: Int32, items: [String], error: String) {
            let result = try CommandLine.run(["recommend", "--model", model.path, "--data", sample, "--history", "7806397051,B009PZVOF6",
                                              "-k", "3", "--json", "--precision", precision])
            guard result.status == 0 else { return (result.status, [], result.error) }
            let answer = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            return (0, try XCTUnwrap(answer["recommendations"] as? [[String: Any]]).compactMap { $0["item_id"] as? String }, result.error)
        }
        let reference = try recommend("float32")
        XCTAssertEqual(reference.status, 0, reference.error)
        let reduced = try recommend("bfloat16")
        if reduced.status == 0 {
            XCTAssertEqual(reduced.items.first, reference.items.first, "bfloat16 changed the top recommendation: \(reduced.items) vs \(reference.items)")
            XCTAssertEqual(reduced.items.count, 3)
        } else {
            XCTAssertTrue(reduced.error.contains("--precision bfloat16") && (reduced.error.contains("libdnnl2") || reduced.error.contains("BF16")), reduced.error)
        }
        let unknown = try CommandLine.run(["recommend", "--model", model.path, "--history", "7806397051", "--precision", "float8"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.error.contains("float8"), unknown.error)
        let quickstart = try CommandLine.run(["quickstart", "--out", model.appendingPathComponent("unused").path, "--precision", "float8"])
        XCTAssertNotEqual(quickstart.status, 0)
        XCTAssertTrue(quickstart.error.contains("float8"), quickstart.error)
    }

    /// Outside the repository the bundled vocabulary is found beside the executable; what cannot be found names its flag.
    func testRunsFromAnotherFolder() throws {
        let data = directory.appendingPathComponent("data").path, run = directory.appendingPathComponent("run").path
        let elsewhere = FileManager.default.temporaryDirectory
        var result = try CommandLine.run(["train", "--data", data, "--out", run, "--config", directory.appendingPathComponent("tiny.json").path],
                                         in: elsewhere)
        XCTAssertEqual(result.status, 0, result.error)
        result = try CommandLine.run(["quickstart", "--data", "no-such-sample"], in: elsewhere)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("--data no-such-sample: not found"), result.error)
        result = try CommandLine.run(["--version"], in: elsewhere)
        XCTAssertEqual(result.status, 0)
        XCTAssertFalse(result.output.isEmpty)
    }

    /// Every command's machine-readable output: one JSON object per line, every key (at any depth) snake_case.
    func testEveryJSONOutputIsOneSnakeCaseObjectPerLine() throws {
        let data = directory.appendingPathComponent("data").path, run = directory.appendingPathComponent("run").path
        let vocabulary = CommandLine.repository.appendingPathComponent("vocab/idgenrec-8k.model").path
        XCTAssertEqual(try CommandLine.run(["train", "--data", data, "--out", run, "--config", directory.appendingPathComponent("tiny.json").path,
                                            "--tokenizer", vocabulary]).status, 0)
        let histories = directory.appendingPathComponent("histories.txt")
        try Data("i1 i4\ni7\n".utf8).write(to: histories)
        let commands: [[String]] = [
            ["data", "stats", data, "--json"],
            ["evaluate", "--model", run, "--data", data, "--baselines", "--json"],
            ["recommend", "--model", run, "--history", "i1,i4", "--json"],
            ["recommend", "--model", run, "--histories", histories.path, "--json"],
            ["t5", "generate", "--model", run + "/checkpoint/generator", "--tokenizer", vocabulary, "--text", "Olay", "--text", "Dove",
             "--beams", "2", "--return", "2", "--json"],
            ["bench", "--config", "tiny", "--batch", "2", "--src", "8", "--items", "50", "--users", "2", "--steps", "1"],
        ]
        let snakeCase = try NSRegularExpression(pattern: "^[a-z][a-z0-9_@]*$")
        func checkKeys(_ value: Any, _ where_: String) {
            if let object = value as? [String: Any] {
                for (key, inner) in object {
                    XCTAssertNotNil(snakeCase.firstMatch(in: key, range: NSRange(key.startIndex..., in: key)), "\(where_): key \(key)")
                    checkKeys(inner, where_)
                }
            } else if let array = value as? [Any] {
                array.forEach { checkKeys($0, where_) }
            }
        }
        for command in commands {
            let result = try CommandLine.run(command)
            XCTAssertEqual(result.status, 0, "\(command): \(result.error)")
            let lines = result.output.split(separator: "\n")
            XCTAssertFalse(lines.isEmpty, "\(command) printed nothing")
            for line in lines {
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8))
                XCTAssertTrue(object is [String: Any], "\(command): not one JSON object per line: \(line)")
                checkKeys(object as Any, command.prefix(2).joined(separator: " "))
            }
        }
    }

    func testBadRunFolderIsAClearError() throws {
        let result = try CommandLine.run(["evaluate", "--model", directory.path, "--data", directory.appendingPathComponent("data").path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("no checkpoint here"), result.error)
    }
}
