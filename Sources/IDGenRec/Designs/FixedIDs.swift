import RecData

/// A fixed dictionary given to training (`train --ids FILE`): imported, or made by another tool. The recommender
/// trains on it as it is; the run cannot write IDs for another catalogue (serve one with `--ids` for it).
public struct FixedIDs: IDDesignRecipe {
    public static let name = "fixed"
    public static let summary = "a dictionary given with --ids FILE"
    public static let keys: [String] = []
    public static let selectableByName = false

    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {}

    /// The dictionary a new run trains on; set by whoever starts the run (`train --ids`).
    public static func design(dictionary: IDDictionary, origin: String) -> any IDDesign {
        Design(source: FixedDictionary(dictionary: dictionary, origin: origin))
    }

    public func makeDesign(_ start: DesignStart) throws -> any IDDesign {
        throw IDGenRecError.invalidInput("the ID design \"fixed\" needs the dictionary to train on: pass --ids FILE")
    }

    public func openDesign(_ saved: SavedDesign) throws -> any IDDesign {
        Design(source: FixedDictionary(dictionary: saved.ids, origin: saved.checkpoint.appendingPathComponent("ids.jsonl").path))
    }

    final class Design: IDDesign {
        let source: FixedDictionary
        init(source: FixedDictionary) { self.source = source }

        func initialIDs(for catalogue: Catalogue) throws -> GeneratedIDs { try source.ids(for: catalogue) }

        func idSource(renderer: ItemTextRenderer) throws -> any ItemIDSource {
            throw IDGenRecError.invalidInput("the run was trained on a fixed ID dictionary and has no way to write IDs for a new catalogue: "
                                             + "pass that catalogue's dictionary with --ids FILE")
        }
    }
}

/// IDs from a fixed dictionary, which must name exactly the catalogue's items.
public struct FixedDictionary: ItemIDSource {
    public let dictionary: IDDictionary
    /// Where the dictionary came from, for errors.
    public let origin: String

    public init(dictionary: IDDictionary, origin: String) {
        self.dictionary = dictionary
        self.origin = origin
    }

    public func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
        try idsInTwoSteps(for: catalogue, progress: progress)
    }

    public var batchSize: Int { 1 }

    /// The dictionary's ID of each item: nothing to decode.
    public func firstCandidates(for catalogue: Catalogue, items: Range<Int>, progress: ((Int, Int) -> Void)? = nil) throws -> [[String]] {
        let aligned = try dictionary.aligned(to: catalogue, source: origin)
        return items.map { [aligned.textualIDs[$0]] }
    }

    public func ids(for catalogue: Catalogue, firstCandidates: [[String]]) throws -> GeneratedIDs {
        let aligned = try dictionary.aligned(to: catalogue, source: origin)
        return GeneratedIDs(dictionary: aligned, statistics: IDStatistics(dictionary: aligned))
    }
}

