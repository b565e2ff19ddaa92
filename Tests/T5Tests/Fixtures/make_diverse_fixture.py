"""Writes t5_v1_0/diverse.json: transformers' diverse (group) beam search on the tiny T5 fixture.

Group beam search left the core library in transformers 5, so this needs a 4.x release that still ships it:

    python3 -m venv venv && venv/bin/pip install torch safetensors "transformers>=4.50,<4.56"
    venv/bin/python Tests/T5Tests/Fixtures/make_diverse_fixture.py

Input: the first input of t5_v1_0/expected.json (`input_ids[0]`, its padding dropped by the attention mask).
Sequences start with the decoder start token 0; transformers pads them after `</s>` to a common length.
"""
import json
import pathlib

import torch
import transformers
from transformers import T5ForConditionalGeneration

HERE = pathlib.Path(__file__).resolve().parent
MODEL = HERE / "t5_v1_0"

CASES = [
    dict(num_beams=4, num_beam_groups=4, diversity_penalty=1.0, num_return_sequences=4, max_new_tokens=8),
    dict(num_beams=4, num_beam_groups=2, diversity_penalty=1.0, num_return_sequences=4, max_new_tokens=8),
]


def main():
    torch.manual_seed(0)
    model = T5ForConditionalGeneration.from_pretrained(MODEL).eval()
    expected = json.loads((MODEL / "expected.json").read_text())
    length = sum(expected["attention_mask"][0])
    input_ids = torch.tensor([expected["input_ids"][0][:length]])

    # The model must reproduce the beam search recorded by transformers 5 before its diverse outputs are trusted.
    beam = expected["beam"]
    with torch.no_grad():
        check = model.generate(
            input_ids, num_beams=4, num_return_sequences=4, max_new_tokens=8, early_stopping=True,
            length_penalty=1.0, output_scores=True, return_dict_in_generate=True)
    assert check.sequences.tolist() == beam["sequences"], "beam search differs from expected.json"

    cases = []
    for case in CASES:
        with torch.no_grad():
            out = model.generate(
                input_ids, **case, length_penalty=1.0, early_stopping=False, do_sample=False,
                output_scores=True, return_dict_in_generate=True)
        cases.append(dict(
            case, length_penalty=1.0, early_stopping=False,
            sequences=out.sequences.tolist(), sequences_scores=out.sequences_scores.tolist()))

    document = dict(
        transformers_version=transformers.__version__,
        torch_version=torch.__version__,
        input_ids=input_ids.tolist()[0],
        decoder_start_token_id=model.config.decoder_start_token_id,
        eos_token_id=model.config.eos_token_id,
        pad_token_id=model.config.pad_token_id,
        cases=cases,
    )
    (MODEL / "diverse.json").write_text(json.dumps(document, indent=1) + "\n")
    for case in cases:
        print(case["num_beam_groups"], case["sequences"], case["sequences_scores"])


if __name__ == "__main__":
    main()
