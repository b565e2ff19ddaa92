import Foundation
import RecData
import T5
import TensorEngine
import Tokenization

/// An ID design's section of a training configuration (`"ids": {"design": NAME, ...}`): its settings, and how it
/// makes the live design for a new run or for a run folder.
///
/// A new design is one type conforming to this protocol and one to ``IDDesign``, registered once with
/// ``IDDesignRegistry/register(_:)``; the trainer, the run folder, serving and the command line need no edit.
public protocol IDDesignRecipe: Codable, Sendable {
    /// The name the configuration and `train --id-design` use.
    static var name: String { get }
    /// One line for `--help`.
    static var summary: String { get }
    /// The keys of the section besides `design` (unknown keys are errors: a misspelt key must not be ignored).
    static var keys: [String] { get }
    /// Whether `train --id-design NAME` can start it (a design that needs more, like a dictionary, says how).
    static var selectableByName: Bool { get }

    /// The settings at their defaults.
    init()

    /// Rejects values no run can use, naming the key.
    func validate() throws
    /// Refuses settings whose training steps would not fit in memory (the recommender's are checked by the trainer).
    func checkMemory(training: TrainingConfiguration, vocabularySize: Int) throws
    /// The design for a new run.
    func makeDesign(_ start: DesignStart) throws -> any IDDesign
    /// The design as a run's checkpoint folder keeps it: the models it owns are read from there.
    func openDesign(_ saved: SavedDesign) throws -> any IDDesign
}

extension IDDesignRecipe {
    public static var selectableByName: Bool { true }
    public func validate() throws {}
    public func checkMemory(training: TrainingConfiguration, vocabularySize: Int) throws {}
}

/// What a design starts from in a new run.
public struct DesignStart {
    public var tokenizer: SentencePieceTokenizer
    public var training: TrainingConfiguration
    /// The catalogue's items, and their texts rendered by the configuration's `textRendering`.
    public var catalogue: Catalogue
    public var texts: [String]
}

/// What a design is reopened from: the checkpoint folder and what the run already holds.
public struct SavedDesign {
    public var checkpoint: URL
    public var tokenizer: SentencePieceTokenizer
    public var training: TrainingConfiguration
    /// The run's current dictionary.
    public var ids: IDDictionary
}

/// A model a design owns, saved in the checkpoint as a transformers folder named `name`.
public struct DesignModel {
    public var name: String
    public var model: T5Model
    /// What the model does, for its model card.
    public var summary: String

    public init(name: String, model: T5Model, summary: String) {
        self.name = name; self.model = model; self.summary = summary
    }
}

/// Where a run's item IDs come from, live: the design's models, its phases, the catalogue's first IDs, what each
/// of its phases does, and how it writes IDs for a catalogue it has not seen.
public protocol IDDesign: AnyObject {
    /// The models this design trains and the checkpoint keeps (none for a design that learns nothing).
    var models: [DesignModel] { get }
    /// The run's phases, recommender phases included, for `rounds` rounds. Most designs: `[.recommender(round: 1)]`.
    func phases(rounds: Int) -> [TrainingPhase]
    /// The IDs the run starts from (before any phase).
    func initialIDs(for catalogue: Catalogue) throws -> GeneratedIDs
    /// Whether those are stand-ins that a phase replaces before the recommender trains (then they are not logged).
    var startsFromPlaceholders: Bool { get }
    /// Runs one of the design's own phases (every phase but `.recommender`); it trains through `context` and
    /// hands new IDs to ``TrainingContext/replaceIDs(_:after:)``.
    func run(_ phase: TrainingPhase, in context: any TrainingContext) throws
    /// IDs for any catalogue, as this design writes them (serving, zero-shot, `ids generate`).
    func idSource(renderer: ItemTextRenderer) throws -> any ItemIDSource
}

extension IDDesign {
    public var models: [DesignModel] { [] }
    public var startsFromPlaceholders: Bool { false }
    public func phases(rounds: Int) -> [TrainingPhase] { [.recommender(round: 1)] }
    public func run(_ phase: TrainingPhase, in context: any TrainingContext) throws {
        throw IDGenRecError.invalidInput("this ID design has no phase \(phase)")
    }
}

/// What a design's phase may use of the training run.
public protocol TrainingContext: AnyObject {
    var configuration: TrainingConfiguration { get }
    var split: LeaveOneOutSplit { get }
    var tokenizer: SentencePieceTokenizer { get }
    /// Each catalogue item's text, rendered by the configuration's `textRendering`.
    var itemTexts: [String] { get }
    /// The recommender as it stands (its model frozen or not is the phase's choice).
    var recommender: Recommender { get }
    /// The run's current IDs.
    var ids: IDDictionary { get }
    /// A training sample's similar-item hints, counted as the configuration says (never from its own answer unless
    /// it asks for the naive count); none when prompts list no hints.
    func hints(ofTrainingSample sample: LeaveOneOutSplit.Sample) -> [Int32]
    var observer: (TrainingEvent) -> Void { get }
    /// Trains `model` for the phase's remaining epochs (AdamW, a linear schedule, clipping, a checkpoint after
    /// each epoch, seeded so that `--resume` continues exactly); `loss` maps this process's share of a batch of sample
    /// indices (all of it, unless several processes train together) to its mean loss.
    func train(_ model: T5Model, in phase: TrainingPhase, epochs: Int, samples: Int, batchSize: Int, learningRate: Float,
               length: (Int) -> Int, alsoTraining: [Tensor], loss: (BatchShare) throws -> BatchLoss) throws
    /// Makes `ids` the run's dictionary, logging their statistics and how many changed.
    func replaceIDs(_ ids: GeneratedIDs, after phase: TrainingPhase)
}

extension TrainingContext {
    /// ``train(_:in:epochs:samples:batchSize:learningRate:length:alsoTraining:loss:)`` for `model`'s parameters alone.
    public func train(_ model: T5Model, in phase: TrainingPhase, epochs: Int, samples: Int, batchSize: Int, learningRate: Float,
                      length: (Int) -> Int, loss: (BatchShare) throws -> BatchLoss) throws {
        try train(model, in: phase, epochs: epochs, samples: samples, batchSize: batchSize, learningRate: learningRate, length: length,
                  alsoTraining: [], loss: loss)
    }
}

/// The ID designs a configuration can name: the three built in, and any a program registers.
public enum IDDesignRegistry {
    nonisolated(unsafe) private static var recipes: [any IDDesignRecipe.Type] = [LearnedIDs.self, TitleWordIDs.self, FixedIDs.self]

    /// Makes a design nameable by configurations and `train --id-design`.
    public static func register(_ recipe: any IDDesignRecipe.Type) {
        recipes.removeAll { $0.name == recipe.name }
        recipes.append(recipe)
    }

    public static func recipe(named name: String) throws -> any IDDesignRecipe.Type {
        guard let recipe = recipes.first(where: { $0.name == name }) else {
            throw IDGenRecError.invalidInput("unknown ID design \"\(name)\"; known: \(names.joined(separator: ", "))")
        }
        return recipe
    }

    public static var names: [String] { recipes.map { $0.name } }

    /// The designs `train --id-design` accepts, one line each, for `--help`.
    public static var help: String {
        recipes.filter { $0.selectableByName }.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")
    }

    /// A design's settings at their defaults.
    public static func defaultSection(named name: String) throws -> IDDesignSection {
        let recipe = try Self.recipe(named: name)
        return IDDesignSection(recipe.init())
    }
}

/// The `ids` section of a configuration: one design's recipe, whichever it is. Encoded flat, as
/// `{"design": NAME, ...its settings}`; decoded through the registry, unknown keys refused.
public struct IDDesignSection: Codable, Sendable, Equatable {
    public var recipe: any IDDesignRecipe
    public var name: String { type(of: recipe).name }

    public init(_ recipe: any IDDesignRecipe) { self.recipe = recipe }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DynamicKey.self)
        let name = try container.decodeIfPresent(String.self, forKey: DynamicKey("design")) ?? LearnedIDs.name
        let recipe = try IDDesignRegistry.recipe(named: name)
        if let unknown = try firstUnknownKey(in: decoder, known: recipe.keys + ["design"]) {
            throw IDGenRecError.invalidInput("ids: unknown key \"\(unknown)\" for the design \"\(name)\"; its keys: \(recipe.keys.sorted().joined(separator: ", "))")
        }
        self.recipe = try recipe.init(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(name, forKey: DynamicKey("design"))
        try recipe.encode(to: encoder)
    }

    public static func == (left: Self, right: Self) -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return left.name == right.name && (try? encoder.encode(left)) == (try? encoder.encode(right))
    }
}

/// The first key (in sorted order) of the JSON object `decoder` reads that is not among `known`: a misspelt key must be
/// an error, not a setting silently left at its default.
func firstUnknownKey(in decoder: any Decoder, known: [String]) throws -> String? {
    let known = Set(known)
    return try decoder.container(keyedBy: DynamicKey.self).allKeys.map(\.stringValue).sorted().first { !known.contains($0) }
}

/// A coding key made at run time (the `ids` section's keys depend on its design).
struct DynamicKey: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
