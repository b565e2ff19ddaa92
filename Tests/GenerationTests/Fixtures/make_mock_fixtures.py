"""Runs transformers' own generate() on a deterministic mock encoder-decoder and records what it returns.

The mock's logits are an integer hash of (input tokens, decoder prefix, token), mapped to float32 exactly the same
way by MockModel.swift, so the Swift searches can be checked against transformers' code paths (tie-free by
construction) with no neural network involved.

transformers 5.x (vectorised beam search, greedy) writes mock_beam.json; a 4.x release (group beam search, which 5.x
moved out of the core library) writes mock_diverse.json:

    venv5/bin/python make_mock_fixtures.py           # transformers 5.x
    venv4/bin/python make_mock_fixtures.py           # transformers >=4.50,<4.56
"""
import json
import pathlib

import torch
import transformers
from transformers import T5Config, T5ForConditionalGeneration
from transformers.modeling_outputs import BaseModelOutput, Seq2SeqLMOutput

HERE = pathlib.Path(__file__).resolve().parent
VOCAB, START, EOS, PAD = 16, 0, 1, 0
MASK = 0xFFFFFFFF
INPUTS = [[5, 9, 3], [7], [2, 2, 8, 11], [12, 4]]
CATALOGUE = [[0, 3, 4, 1], [0, 3, 5, 6, 1], [0, 3, 5, 7, 9, 1], [0, 8, 2, 1], [0, 8, 2, 10, 11, 12, 1], [0, 13, 1]]


def mix(h, x):
    return ((h ^ (x & MASK)) * 16777619) & MASK


def logit_values(source, prefix):
    """One row of float32 logits: hash -> integer in [0, 1000003) -> / 125000 - 4, plus an end bonus."""
    h = 2166136261
    for x in source:
        h = mix(h, x)
    h = mix(h, 0xFFFF)
    for x in prefix:
        h = mix(h, x)
    row = []
    for t in range(VOCAB):
        g = mix(h, t)
        g ^= g >> 13
        g = (g * 0x5BD1E995) & MASK
        g ^= g >> 15
        row.append(g % 1000003)
    values = torch.tensor(row, dtype=torch.float32) / 125000.0 - 4.0
    # End-of-sequence grows likelier with length, so hypotheses finish at different steps.
    values[EOS] = values[EOS] + torch.tensor(0.75, dtype=torch.float32) * float(len(prefix))
    return values


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.main_input_name = "input_ids"

    def forward(self, input_ids=None, attention_mask=None, **kwargs):
        # The "hidden state" is the input ids themselves, so the decoder can hash them.
        return BaseModelOutput(last_hidden_state=input_ids.to(torch.float32).unsqueeze(-1))


class Mock(T5ForConditionalGeneration):
    def get_encoder(self, *args, **kwargs):
        return self._mock_encoder

    def forward(self, input_ids=None, attention_mask=None, decoder_input_ids=None, encoder_outputs=None, **kwargs):
        hidden = encoder_outputs[0] if encoder_outputs is not None else input_ids.to(torch.float32).unsqueeze(-1)
        rows = []
        for row in range(decoder_input_ids.shape[0]):
            source = [int(v) for v in hidden[row, :, 0].tolist()]
            rows.append(logit_values(source, decoder_input_ids[row].tolist()))
        logits = torch.stack(rows).unsqueeze(1).expand(-1, decoder_input_ids.shape[1], -1)
        return Seq2SeqLMOutput(logits=logits)


def make_model():
    config = T5Config(vocab_size=VOCAB, d_model=8, d_kv=4, d_ff=8, num_layers=1, num_heads=2,
                      decoder_start_token_id=START, eos_token_id=EOS, pad_token_id=PAD)
    model = Mock(config).eval()
    model._mock_encoder = Encoder()
    return model


def trie_function(catalogue):
    def allowed(batch_id, sent):
        prefix = sent.tolist()
        children = sorted({s[len(prefix)] for s in catalogue if len(s) > len(prefix) and s[:len(prefix)] == prefix})
        return children if children else [EOS]
    return allowed


def run(model, source, **kwargs):
    with torch.no_grad():
        out = model.generate(torch.tensor([source]), use_cache=False, do_sample=False,
                             return_dict_in_generate=True, output_scores=True, **kwargs)
    result = dict(sequences=out.sequences.tolist())
    if getattr(out, "sequences_scores", None) is not None:
        result["sequences_scores"] = out.sequences_scores.tolist()
    return result


def main():
    model = make_model()
    major = int(transformers.__version__.split(".")[0])
    document = dict(transformers_version=transformers.__version__, vocabulary_size=VOCAB, decoder_start_token_id=START,
                    eos_token_id=EOS, pad_token_id=PAD, inputs=INPUTS, catalogue=CATALOGUE, cases=[])
    if major >= 5:
        settings = [
            dict(num_beams=1, max_new_tokens=6),
            dict(num_beams=1, max_new_tokens=6, min_new_tokens=3),
            dict(num_beams=4, num_return_sequences=4, max_new_tokens=6, early_stopping=True, length_penalty=1.0),
            dict(num_beams=4, num_return_sequences=2, max_new_tokens=6, early_stopping=False, length_penalty=1.0),
            dict(num_beams=3, num_return_sequences=3, max_new_tokens=7, early_stopping="never", length_penalty=0.7),
            dict(num_beams=5, num_return_sequences=5, max_new_tokens=7, early_stopping=False, length_penalty=2.0),
            dict(num_beams=4, num_return_sequences=3, max_new_tokens=6, early_stopping=False, length_penalty=1.0,
                 min_new_tokens=3),
            dict(num_beams=4, num_return_sequences=4, max_new_tokens=8, early_stopping=False, length_penalty=1.0,
                 constrained=True),
            dict(num_beams=8, num_return_sequences=8, max_new_tokens=8, early_stopping=True, length_penalty=1.0,
                 constrained=True),
        ]
        name = "mock_beam.json"
    else:
        settings = [
            dict(num_beams=4, num_beam_groups=4, diversity_penalty=1.0, num_return_sequences=4, max_new_tokens=6),
            dict(num_beams=6, num_beam_groups=3, diversity_penalty=0.5, num_return_sequences=4, max_new_tokens=7),
            dict(num_beams=4, num_beam_groups=2, diversity_penalty=2.0, num_return_sequences=4, max_new_tokens=6,
                 early_stopping=True),
            dict(num_beams=4, num_beam_groups=2, diversity_penalty=1.5, num_return_sequences=3, max_new_tokens=7,
                 early_stopping="never", length_penalty=0.5),
            dict(num_beams=4, num_beam_groups=4, diversity_penalty=1.0, num_return_sequences=4, max_new_tokens=8,
                 constrained=True),
        ]
        name = "mock_diverse.json"
    for setting in settings:
        arguments = dict(setting)
        constrained = arguments.pop("constrained", False)
        if constrained:
            arguments["prefix_allowed_tokens_fn"] = trie_function(CATALOGUE)
        outputs = [run(model, source, **arguments) for source in INPUTS]
        document["cases"].append(dict(setting=setting, outputs=outputs))
    (HERE / name).write_text(json.dumps(document, indent=1) + "\n")
    print("wrote", name, len(settings), "cases")


if __name__ == "__main__":
    main()
