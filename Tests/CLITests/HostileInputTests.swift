import Foundation
import XCTest

/// The bad-input catalogue: each row is one hostile or inconsistent input given to the built command, which must
/// exit non-zero (never by a signal) with a message naming what is wrong. Rows cover datasets, model checkpoints,
/// run folders, ID dictionaries and command-line values; a kill-and-resume test closes the file.
final class HostileInputTests: XCTestCase {
    /// A tiny dataset and a run trained on it, made once for every row; rows copy what they damage.
    final class Fixture {
        let root: URL
        let data: String
        let run: String
        let vocabulary = CommandLine.repository.appendingPathComponent("vocab/idgenrec-8k.model").path
        let configuration: String
        private var counter = 0

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            data = root.appendingPathComponent("data").path
            run = root.appendingPathComponent("run").path
            configuration = root.appendingPathComponent("tiny.json").path
            try Self.writeDataset(to: data)
            let shape = #"{"modelWidth": 16, "heads": 2, "headWidth": 8, "feedForwardWidth": 32, "encoderLayers": 1, "decoderLayers": 1}"#
            try Data("""
                {"generator": \(shape), "recommender": \(shape), "warmStartEpochs": 1, "rounds": 1, "recommenderEpochs": 2,
                 "validationUsers": 10, "generatorSettings": {"candidates": 3, "maximumIDTokens": 4, "maximumTextTokens": 32, "batchSize": 16}}
                """.utf8).write(to: URL(fileURLWithPath: configuration))
            let result = try CommandLine.run(["train", "--data", data, "--out", run, "--config", configuration, "--tokenizer", vocabulary])
            guard result.status == 0 else { throw NSError(domain: "fixture", code: 1, userInfo: [NSLocalizedDescriptionKey: result.error]) }
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        static func writeDataset(to folder: String) throws {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let brands = ["Maybelline", "Olay", "Dove", "Neutrogena"]
            var items = "", sequences = ""
            for i in 0..<16 { items += "{\"item_id\": \"i\(i)\", \"title\": \"\(brands[i % 4]) Lotion Number \(i)\"}\n" }
            for u in 0..<30 { sequences += "u\(u) " + (0..<5).map { "i\((u + $0 * 3) % 16)" }.joined(separator: " ") + "\n" }
            try Data(items.utf8).write(to: URL(fileURLWithPath: folder + "/items.jsonl"))
            try Data(sequences.utf8).write(to: URL(fileURLWithPath: folder + "/user_sequence.txt"))
        }

        /// A fresh path inside the fixture.
        func path(_ name: String) -> String {
            counter += 1
            return root.appendingPathComponent("\(counter)-\(name)").path
        }

        /// A copy of the trained run, damaged by `edit` (given the copy's checkpoint folder).
        func damagedRun(_ edit: (String) throws -> Void) throws -> String {
            let copy = path("run")
            try FileManager.default.copyItem(atPath: run, toPath: copy)
            try edit(copy + "/checkpoint")
            return copy
        }

        /// A copy of the dataset with one file replaced.
        func dataset(_ file: String, _ contents: String) throws -> String {
            let copy = path("data")
            try FileManager.default.copyItem(atPath: data, toPath: copy)
            try Data(contents.utf8).write(to: URL(fileURLWithPath: copy + "/" + file))
            return copy
        }

        /// A copy of the run's recommender checkpoint, its config.json edited.
        func model(config edit: (inout [String: Any]) -> Void) throws -> String {
            let copy = path("model")
            try FileManager.default.copyItem(atPath: run + "/checkpoint/recommender", toPath: copy)
            try Self.editJSON(copy + "/config.json", edit)
            return copy
        }

        func file(_ name: String, _ contents: String) throws -> String {
            let url = path(name)
            try Data(contents.utf8).write(to: URL(fileURLWithPath: url))
            return url
        }

        static func editJSON(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            edit(&object)
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        }

        static func replaceLines(_ path: String, _ edit: (inout [String]) -> Void) throws {
            var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            edit(&lines)
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        }

        /// The run's ID dictionary exported as TSV, edited.
        func dictionary(_ edit: (inout [String]) -> Void) throws -> String {
            let out = path("ids.tsv")
            let result = try CommandLine.run(["ids", "export", "--model", run, "--out", out])
            XCTAssertEqual(result.status, 0, result.error)
            try Self.replaceLines(out, edit)
            return out
        }
    }

    struct Case {
        let name: String
        let pattern: String
        let arguments: (Fixture) throws -> [String]
        init(_ name: String, _ pattern: String, _ arguments: @escaping (Fixture) throws -> [String]) {
            self.name = name; self.pattern = pattern; self.arguments = arguments
        }
    }

    nonisolated(unsafe) static let cases: [Case] = [
        // Datasets
        Case("items line is not JSON", "items.jsonl:2", { f in ["data", "stats", try f.dataset("items.jsonl", "{\"item_id\": \"i0\"}\n{\"item_id\": \n")] }),
        Case("sequence names an item without metadata, policy reject", "nope", { f in
            ["data", "stats", try f.dataset("user_sequence.txt", "u1 i0 i1 nope\n"), "--missing-metadata", "reject"]
        }),
        Case("empty sequence file", "user_sequence.txt", { f in ["data", "stats", try f.dataset("user_sequence.txt", "")] }),
        Case("empty items file", "items.jsonl", { f in ["data", "stats", try f.dataset("items.jsonl", "")] }),
        Case("item without an id", "item_id", { f in ["data", "stats", try f.dataset("items.jsonl", "{\"title\": \"x\"}\n")] }),
        Case("bytes that are not UTF-8", "UTF-8", { f in
            let folder = try f.dataset("user_sequence.txt", "u1 i0 i1 i2\n")
            try Data([0x75, 0x32, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: folder + "/user_sequence.txt"))
            return ["data", "stats", folder]
        }),
        Case("missing dataset folder", "does-not-exist", { f in ["data", "stats", f.root.path + "/does-not-exist"] }),
        Case("training on a dataset too small to split", "no training samples", { f in
            ["train", "--data", try f.dataset("user_sequence.txt", "u1 i0\n"), "--out", f.path("run"), "--tokenizer", f.vocabulary]
        }),

        // Model checkpoints (transformers' layout), read by `t5 generate`
        Case("config.json is not JSON", "config.json", { f in
            let model = try f.model { _ in }
            try Data("{".utf8).write(to: URL(fileURLWithPath: model + "/config.json"))
            return ["t5", "generate", "--model", model, "--tokenizer", f.vocabulary, "--text", "hello"]
        }),
        Case("vocab_size zero", "vocab_size", { f in ["t5", "generate", "--model", try f.model { $0["vocab_size"] = 0 }, "--tokenizer", f.vocabulary, "--text", "a"] }),
        Case("one relative-attention bucket", "relative_attention_num_buckets", { f in
            ["t5", "generate", "--model", try f.model { $0["relative_attention_num_buckets"] = 1 }, "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("max distance below half the buckets", "relative_attention_max_distance", { f in
            ["t5", "generate", "--model", try f.model { $0["relative_attention_max_distance"] = 3 }, "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("two buckets (no bucket for the encoder's exact range)", "relative_attention_num_buckets", { f in
            ["t5", "generate", "--model", try f.model { $0["relative_attention_num_buckets"] = 2; $0["relative_attention_max_distance"] = 1 },
             "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("max distance equal to half the buckets", "relative_attention_max_distance", { f in
            ["t5", "generate", "--model", try f.model { $0["relative_attention_num_buckets"] = 8; $0["relative_attention_max_distance"] = 4 },
             "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("four buckets (weights sized for 32)", "relative_attention_bias", { f in
            ["t5", "generate", "--model", try f.model { $0["relative_attention_num_buckets"] = 4; $0["relative_attention_max_distance"] = 3 },
             "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("a 68 GB model", "needs about", { f in
            ["t5", "generate", "--model", try f.model { $0["d_model"] = 65536; $0["d_ff"] = 262144; $0["num_layers"] = 8 },
             "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("an unknown activation", "feed_forward_proj", { f in
            ["t5", "generate", "--model", try f.model { $0["feed_forward_proj"] = "swish" }, "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("weights truncated", "model.safetensors", { f in
            let model = try f.model { _ in }
            let url = URL(fileURLWithPath: model + "/model.safetensors")
            try Data(try Data(contentsOf: url).prefix(1000)).write(to: url)
            return ["t5", "generate", "--model", model, "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("header length 3 bytes short", "cover", { f in
            let model = try f.model { _ in }
            let url = URL(fileURLWithPath: model + "/model.safetensors")
            var bytes = try Data(contentsOf: url)
            let length = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            // Pad the header with spaces first (as the format allows), then cut the length field short.
            let padded = Data(bytes[8..<(8 + Int(length))]) + Data("    ".utf8)
            bytes = withUnsafeBytes(of: (UInt64(padded.count) - 3).littleEndian) { Data($0) } + padded + bytes[(8 + Int(length))...]
            try bytes.write(to: url)
            return ["t5", "generate", "--model", model, "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("weights missing", "model.safetensors", { f in
            let model = try f.model { _ in }
            try FileManager.default.removeItem(atPath: model + "/model.safetensors")
            return ["t5", "generate", "--model", model, "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("weights for another shape", "shape", { f in
            ["t5", "generate", "--model", try f.model { $0["d_ff"] = 64 }, "--tokenizer", f.vocabulary, "--text", "a"]
        }),
        Case("a damaged tokenizer", "tokenizer", { f in
            ["t5", "generate", "--model", try f.model { _ in }, "--tokenizer", try f.file("tokenizer.model", "not a model"), "--text", "a"]
        }),
        Case("--model given a run folder", "checkpoint/generator", { f in ["t5", "generate", "--model", f.run, "--tokenizer", f.vocabulary, "--text", "a"] }),

        // Run folders
        Case("not a run folder", "no checkpoint here", { f in ["recommend", "--model", f.root.path, "--history", "i1"] }),
        Case("configuration out of range", "maximumHistoryItems", { f in
            let run = try f.damagedRun { _ in }
            try Fixture.editJSON(run + "/config.json") { object in object["recommenderSettings"] = ["maximumHistoryItems": -5] }
            return ["recommend", "--model", run, "--history", "i1"]
        }),
        Case("configuration with an unknown key", "unknown key", { f in
            let run = try f.damagedRun { _ in }
            try Fixture.editJSON(run + "/config.json") { $0["learningRat"] = 0.1 }
            return ["recommend", "--model", run, "--history", "i1"]
        }),
        Case("configuration of another model shape", "d_model", { f in
            let run = try f.damagedRun { _ in }
            try Fixture.editJSON(run + "/config.json") { object in
                var shape = object["recommender"] as? [String: Any] ?? [:]
                shape["modelWidth"] = 32
                object["recommender"] = shape
            }
            return ["recommend", "--model", run, "--history", "i1"]
        }),
        Case("dictionary lists an item twice", "listed twice", { f in
            ["recommend", "--model", try f.damagedRun { try Fixture.replaceLines($0 + "/ids.jsonl") { $0.append($0[0]) } }, "--history", "i1"]
        }),
        Case("dictionary gives two items one ID", "ID", { f in
            let run = try f.damagedRun { checkpoint in
                try Fixture.replaceLines(checkpoint + "/ids.jsonl") { lines in
                    let first = try! JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
                    var second = try! JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
                    second["textual_id"] = first["textual_id"]; second["token_ids"] = first["token_ids"]
                    lines[1] = String(decoding: try! JSONSerialization.data(withJSONObject: second), as: UTF8.self)
                }
            }
            return ["ids", "export", "--model", run, "--out", f.path("out.tsv")]
        }),
        Case("dictionary with an empty ID", "empty textual_id", { f in
            let run = try f.damagedRun { checkpoint in
                try Fixture.replaceLines(checkpoint + "/ids.jsonl") { lines in
                    var entry = try! JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
                    entry["textual_id"] = " "; entry["token_ids"] = [Int]()
                    lines[0] = String(decoding: try! JSONSerialization.data(withJSONObject: entry), as: UTF8.self)
                }
            }
            return ["recommend", "--model", run, "--history", "i1"]
        }),
        Case("dictionary token ids that disagree with the tokenizer", "token_ids", { f in
            let run = try f.damagedRun { checkpoint in
                try Fixture.replaceLines(checkpoint + "/ids.jsonl") { lines in
                    var entry = try! JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
                    entry["token_ids"] = [7999999]
                    lines[0] = String(decoding: try! JSONSerialization.data(withJSONObject: entry), as: UTF8.self)
                }
            }
            return ["recommend", "--model", run, "--history", "i1"]
        }),
        Case("items and dictionary disagree", "list different items", { f in
            ["recommend", "--model", try f.damagedRun { try Fixture.replaceLines($0 + "/items.jsonl") { $0.removeLast() } }, "--history", "i1"]
        }),
        Case("training state damaged", "state.json", { f in
            ["recommend", "--model", try f.damagedRun { try Data("[".utf8).write(to: URL(fileURLWithPath: $0 + "/state.json")) }, "--history", "i1"]
        }),
        Case("recommender weights missing", "model.safetensors", { f in
            ["recommend", "--model", try f.damagedRun { try FileManager.default.removeItem(atPath: $0 + "/recommender/model.safetensors") }, "--history", "i1"]
        }),
        Case("model configuration differs from its weights", "shared.weight", { f in
            ["recommend", "--model", try f.damagedRun { try Fixture.editJSON($0 + "/generator/config.json") { $0["vocab_size"] = 7000 } }, "--history", "i1"]
        }),

        Case("another tokenizer put in the run", "tokenizer", { f in
            let other = CommandLine.repository.appendingPathComponent("Tests/TokenizationTests/Fixtures/spiece.model").path
            return ["recommend", "--model", try f.damagedRun {
                try FileManager.default.removeItem(atPath: $0 + "/tokenizer.model")
                try FileManager.default.copyItem(atPath: other, toPath: $0 + "/tokenizer.model")
            }, "--history", "i1"]
        }),

        // ID dictionary files on the command line
        Case("--ids lists an item twice", "listed twice (first on line", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--ids", try f.dictionary { $0.append($0[1]) }]
        }),
        Case("--ids gives two items one ID", "also the ID on line", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--ids", try f.dictionary { lines in
                lines[2] = lines[2].split(separator: "\t")[0] + "\t" + lines[1].split(separator: "\t")[1]
            }]
        }),
        Case("--ids names an unknown item", "ids.tsv:18: item \"ghost\" is not in the catalogue", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--ids", try f.dictionary { $0.append("ghost\tghost words") }]
        }),
        Case("--ids misses a catalogue item", "no ID for item", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--ids", try f.dictionary { $0.removeLast() }]
        }),
        Case("--ids with an empty ID", "empty textual_id", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--ids", try f.dictionary { $0[1] = $0[1].split(separator: "\t")[0] + "\t " }]
        }),
        Case("--ids with three fields", "expected 2 fields", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--ids", try f.dictionary { $0[1] += "\textra" }]
        }),
        Case("--ids of an unknown format", "unknown dictionary format", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--ids", try f.file("ids.xml", "<ids/>")]
        }),
        Case("train --ids lists an item twice", "listed twice", { f in
            ["train", "--data", f.data, "--out", f.path("run"), "--tokenizer", f.vocabulary, "--ids", try f.dictionary { $0.append($0[1]) }]
        }),

        // Command-line values
        Case("t5 generate returning more sequences than beams", "--return", { f in
            ["t5", "generate", "--model", f.run + "/checkpoint/generator", "--tokenizer", f.vocabulary, "--text", "a", "--beams", "2", "--return", "5"]
        }),
        Case("t5 generate with 100,000,000 beams", "needs about", { f in
            ["t5", "generate", "--model", f.run + "/checkpoint/generator", "--tokenizer", f.vocabulary, "--text", "a", "--beams", "100000000"]
        }),
        Case("recommend -k 0", "-k", { f in ["recommend", "--model", f.run, "--history", "i1", "-k", "0"] }),
        Case("recommend -k above the catalogue", "the catalogue has 16 items", { f in ["recommend", "--model", f.run, "--history", "i1", "-k", "17"] }),
        Case("recommend an unknown item", "unknown item \"nope\"", { f in ["recommend", "--model", f.run, "--history", "i1,nope"] }),
        Case("recommend an empty history", "history", { f in ["recommend", "--model", f.run, "--history", ""] }),
        Case("evaluate with fewer beams than the cut-off", "--beams 5 cannot measure HR@20", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--beams", "5"]
        }),
        Case("evaluate an unknown split", "split", { f in ["evaluate", "--model", f.run, "--data", f.data, "--split", "train"] }),
        Case("evaluate a cut-off of 0", "--cutoffs", { f in ["evaluate", "--model", f.run, "--data", f.data, "--cutoffs", "0"] }),
        Case("train a step that cannot fit in memory", "needs about", { f in
            ["train", "--data", f.data, "--out", f.path("run"), "--tokenizer", f.vocabulary, "--config",
             try f.file("huge.json", #"{"batchSize": 20000, "recommenderSettings": {"maximumSourceTokens": 4096}}"#)]
        }),
        Case("train configuration with an unknown key", "unknown key", { f in
            ["train", "--data", f.data, "--out", f.path("run"), "--tokenizer", f.vocabulary, "--config", try f.file("typo.json", #"{"epochs": 3}"#)]
        }),
        Case("recommender settings with an unknown key", "recommenderSettings: unknown key \"textShares\"", { f in
            ["train", "--data", f.data, "--out", f.path("run"), "--tokenizer", f.vocabulary, "--config",
             try f.file("typo-settings.json", #"{"recommenderSettings": {"textShares": 0.2}}"#)]
        }),
        Case("copy bonus out of range in a configuration", "recommenderSettings.copyBonus: must be in 0.0...100.0", { f in
            ["train", "--data", f.data, "--out", f.path("run"), "--tokenizer", f.vocabulary, "--config",
             try f.file("bonus.json", #"{"recommenderSettings": {"copyBonus": -5}}"#)]
        }),
        Case("copy bonus out of range", "--copy-bonus must be in 0.0...100.0", { f in ["evaluate", "--model", f.run, "--data", f.data, "--copy-bonus", "1000"] }),
        Case("train into an existing run", "--resume", { f in ["train", "--data", f.data, "--out", f.run, "--tokenizer", f.vocabulary] }),
        Case("resume where there is no run", "no checkpoint", { f in ["train", "--data", f.data, "--out", f.path("none"), "--resume"] }),
        Case("zero threads", "threads", { f in ["evaluate", "--model", f.run, "--data", f.data, "--threads", "0"] }),
        Case("sequential fusion out of range", "--sequential-fusion", { f in ["evaluate", "--model", f.run, "--data", f.data, "--sequential-fusion", "-1"] }),
        Case("sequential fusion without a sequential model", "sequential model", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--sequential-fusion", "1"]
        }),
        Case("transition share out of range", "--transition-share must be in 0...1", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--transition-share", "2"]
        }),
        Case("text share out of range", "--text-share must be in 0...1", { f in ["evaluate", "--model", f.run, "--data", f.data, "--text-share", "1.5"] }),
        Case("prior shares above 1", "add up to 1.3", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--transition-share", "0.7", "--text-share", "0.6"]
        }),
        Case("transition share without hints", "similar-item hints", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--transition-share", "0.5"]
        }),
        Case("BSARec settings for a SASRec row", "describes a bsarec model", { f in
            ["evaluate", "--baseline", "sasrec", "--data", f.data, "--sasrec-config",
             try f.file("bsarec.json", #"{"architecture": "bsarec", "normalization": "post"}"#)]
        }),
        Case("BSARec settings with pre-normalised blocks", "sasrec.normalization: must be post", { f in
            ["evaluate", "--baseline", "bsarec", "--data", f.data, "--sasrec-config", try f.file("pre.json", #"{"architecture": "bsarec"}"#)]
        }),
        Case("text share without a run", "give --model RUN", { f in ["evaluate", "--baselines", "--data", f.data, "--text-share", "0.5"] }),
        Case("text items without a text share", "--text-items sets the fused prior's text part", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--text-items", "3"]
        }),
        Case("prior parts without a prior", "--prior-parts", { f in ["evaluate", "--model", f.run, "--data", f.data, "--prior-parts", "summed"] }),
        Case("unknown prior parts", "prior-parts", { f in ["evaluate", "--model", f.run, "--data", f.data, "--prior-parts", "stacked"] }),
        Case("prior candidates without fusion", "--prior-candidates scores", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--prior-candidates", "20"]
        }),
        Case("prior candidates out of range", "--prior-candidates must be in 0...1000", { f in
            ["evaluate", "--model", f.run, "--data", f.data, "--prior-candidates", "5000"]
        }),
        Case("tune a run without a search", "no decodingSearch section", { f in ["tune", "--model", f.run, "--data", f.data] }),
        Case("tune with a search that does not suit the run", "transitionShare", { f in
            ["tune", "--model", f.run, "--data", f.data, "--search", try f.file("hints.json", #"{"transitionShare": [0.5]}"#)]
        }),
        Case("tune with a malformed search", "is not a JSON object", { f in
            ["tune", "--model", f.run, "--data", f.data, "--search", try f.file("broken.json", "{")]
        }),
        Case("tune with an unknown search key", "unknown key \"share\"", { f in
            ["tune", "--model", f.run, "--data", f.data, "--search", try f.file("typo-search.json", #"{"share": [0.5]}"#)]
        }),
        Case("tune on another catalogue", "another catalogue", { f in
            let items = try String(contentsOfFile: f.data + "/items.jsonl", encoding: .utf8) + "{\"item_id\": \"extra\", \"title\": \"Extra\"}\n"
            let data = try f.dataset("items.jsonl", items)
            let sequences = try String(contentsOfFile: data + "/user_sequence.txt", encoding: .utf8) + "newcomer i1 i2 extra i3\n"
            try Data(sequences.utf8).write(to: URL(fileURLWithPath: data + "/user_sequence.txt"))
            return ["tune", "--model", f.run, "--data", data, "--search",
             try f.file("search.json", #"{"copyBonus": [1]}"#)]
        }),
        Case("category words out of range", "ids.categoryWords", { f in
            ["ids", "title-words", "--data", f.data, "--out", f.path("ids.tsv"), "--tokenizer", f.vocabulary, "--category-words", "9"]
        }),
    ]

    nonisolated(unsafe) static var fixture: Fixture?

    override class func tearDown() { fixture = nil }

    func testEveryHostileInputIsAClearError() throws {
        if Self.fixture == nil { Self.fixture = try Fixture() }
        let fixture = try XCTUnwrap(Self.fixture)
        XCTAssertGreaterThanOrEqual(Self.cases.count, 40)
        for row in Self.cases {
            let arguments = try row.arguments(fixture)
            let (result, killed) = try CommandLine.runProcess(arguments)
            XCTAssertFalse(killed, "\(row.name): ended by signal \(result.status)\n\(result.error)")
            XCTAssertNotEqual(result.status, 0, "\(row.name): accepted\n\(result.output)")
            XCTAssertTrue(result.error.contains(row.pattern), "\(row.name): expected “\(row.pattern)” in:\n\(result.error)")
            XCTAssertFalse(result.error.contains("Fatal error") || result.error.contains("failed to allocate"), "\(row.name): \(result.error)")
        }
    }

    /// More beams than the catalogue has items cannot find anything more: the request is served as the exhaustive
    /// search it amounts to, with the same answer, instead of allocating for 100,000,000 beams.
    func testBeamsBeyondTheCatalogueAnswerAsAnExhaustiveSearch() throws {
        if Self.fixture == nil { Self.fixture = try Fixture() }
        let fixture = try XCTUnwrap(Self.fixture)
        let huge = try CommandLine.run(["recommend", "--model", fixture.run, "--history", "i1,i4", "-k", "5", "--beams", "100000000", "--json"])
        let exhaustive = try CommandLine.run(["recommend", "--model", fixture.run, "--history", "i1,i4", "-k", "5", "--beams", "16", "--json"])
        XCTAssertEqual(huge.status, 0, huge.error)
        XCTAssertEqual(huge.output, exhaustive.output)
    }

    /// A real `idgenrec train` killed by SIGKILL between the two renames of a checkpoint swap (the worst moment:
    /// no `checkpoint/` folder at all) resumes from the newest whole copy and ends bit-identical to a run that
    /// was never interrupted.
    func testKilledDuringACheckpointSwapResumesExactly() throws {
        if Self.fixture == nil { Self.fixture = try Fixture() }
        let fixture = try XCTUnwrap(Self.fixture)
        let killed = fixture.path("killed")
        let arguments = ["train", "--data", fixture.data, "--out", killed, "--config", fixture.configuration, "--tokenizer", fixture.vocabulary]
        let crashing = arguments + ["--crash-at", "checkpoint-swap:2"]
        let (result, bySignal) = try CommandLine.runProcess(crashing)
        XCTAssertTrue(bySignal && result.status == SIGKILL, "the run should have been killed: \(result.status) \(result.error)")
        let fileManager = FileManager.default
        XCTAssertFalse(fileManager.fileExists(atPath: killed + "/checkpoint"), "killed between the renames")
        XCTAssertTrue(fileManager.fileExists(atPath: killed + "/.checkpoint-new/state.json"))

        // A plain train must not start over on top of it, and --resume finishes it.
        let again = try CommandLine.run(arguments)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.error.contains("--resume"), again.error)
        let resumed = try CommandLine.run(["train", "--data", fixture.data, "--out", killed, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.error)
        for file in ["recommender/model.safetensors", "generator/model.safetensors", "ids.jsonl"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: killed + "/checkpoint/" + file)),
                           try Data(contentsOf: URL(fileURLWithPath: fixture.run + "/checkpoint/" + file)), file)
        }
    }
}
