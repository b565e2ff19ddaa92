import TensorEngine

/// ID-level augmentation for models meant to serve catalogues they never saw: a training sample's tokens, each
/// replaced by a random one, the same token always by the same (distinct tokens stay distinct), in the history and
/// the target alike.
///
/// A relabelled sample keeps its structure (which history item the target shares its brand word with, which hint
/// it is) and loses its catalogue's words, so the recommender cannot answer it from memory: it learns to copy from
/// its input, which is what carries over to a catalogue whose words it has never been trained on. With text hints
/// to copy from and the copy gate to copy with, relabelling every sample is what the zero-shot recipe does.
struct TokenRelabelling {
    /// Tokens never replaced: padding, end of sequence, unknown, and the separator between history items.
    let kept: Set<Int32>
    let vocabularySize: Int32

    /// The sample with every other token replaced.
    func apply(source: [Int32], target: [Int32], random: RandomSource) -> (source: [Int32], target: [Int32]) {
        var mapping: [Int32: Int32] = [:], used = kept
        func relabel(_ token: Int32) -> Int32 {
            // Soft tokens (ids past the vocabulary) name items' rows, not words: they keep their meaning.
            if kept.contains(token) || token >= vocabularySize { return token }
            if let mapped = mapping[token] { return mapped }
            var candidate: Int32
            repeat { candidate = Int32(random.next() % UInt64(vocabularySize)) } while used.contains(candidate)
            used.insert(candidate)
            mapping[token] = candidate
            return candidate
        }
        return (source.map(relabel), target.map(relabel))
    }

    /// Relabels each sample of a batch with probability `share`, drawn from a generator seeded by the batch, so that
    /// a resumed run relabels as the uninterrupted one did.
    func apply(sources: inout [[Int32]], targets: inout [[Int32]], share: Float, seed: UInt64, batch: [Int]) {
        var hash = seed
        for index in batch { hash = (hash ^ UInt64(index)) &* 0x0000_0100_0000_01b3 }
        let random = RandomSource(seed: hash)
        for row in sources.indices where random.nextUniform() < share {
            (sources[row], targets[row]) = apply(source: sources[row], target: targets[row], random: random)
        }
    }
}
