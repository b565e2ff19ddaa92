"""Loads a run's two models with transformers, as they are, and checks that transformers' beam search returns
the sequences and scores that `idgenrec t5 generate` returns for the same input.

    pip install torch transformers sentencepiece protobuf
    python3 Examples/transformers_check.py RUN [--idgenrec .build/release/idgenrec] [--beams 5]

Prints one line per model and exits non-zero on the first difference.
"""
import argparse
import json
import subprocess
import sys

import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer


def sample_inputs(run):
    """An item text for the generator and a history of IDs for the recommender, taken from the run itself."""
    with open(f"{run}/checkpoint/items.jsonl") as f:
        item = json.loads(f.readline())
    with open(f"{run}/checkpoint/ids.jsonl") as f:
        ids = [json.loads(line)["textual_id"] for _, line in zip(range(3), f)]
    text = f"title: {item.get('title', '')}"
    if item.get("brand"):
        text += f"; brand: {item['brand']}"
    return {"generator": text, "recommender": " ; ".join(ids)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--idgenrec", default=".build/release/idgenrec")
    parser.add_argument("--beams", type=int, default=5)
    parser.add_argument("--max-new-tokens", type=int, default=8)
    args = parser.parse_args()
    for role, text in sample_inputs(args.run).items():
        folder = f"{args.run}/checkpoint/{role}"
        model = AutoModelForSeq2SeqLM.from_pretrained(folder).eval()
        tokenizer = AutoTokenizer.from_pretrained(folder)
        assert len(tokenizer) == model.config.vocab_size, f"{role}: tokenizer has {len(tokenizer)} pieces, model {model.config.vocab_size}"
        inputs = tokenizer([text], return_tensors="pt")
        with torch.no_grad():
            out = model.generate(**inputs, num_beams=args.beams, num_return_sequences=args.beams,
                                 max_new_tokens=args.max_new_tokens, do_sample=False,
                                 output_scores=True, return_dict_in_generate=True)
        ours = json.loads(subprocess.check_output(
            [args.idgenrec, "t5", "generate", "--model", folder, "--tokenizer", f"{folder}/spiece.model", "--text", text,
             "--beams", str(args.beams), "--return", str(args.beams), "--max-new-tokens", str(args.max_new_tokens), "--json"]))
        our_input = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text)) + [tokenizer.eos_token_id]
        assert inputs.input_ids[0].tolist() == our_input, f"{role}: tokenizers disagree"
        def strip(seq):
            """The sequence up to its first end-of-sequence: what follows is padding, whichever token pads it."""
            eos = model.config.eos_token_id
            return seq[:seq.index(eos, 1) + 1] if eos in seq[1:] else seq
        theirs = [strip(seq.tolist()) for seq in out.sequences]
        mine = [strip(seq) for seq in ours["sequences"]]
        gap = max(abs(a - b) for a, b in zip(out.sequences_scores.tolist(), ours["scores"]))
        same = theirs == mine and gap < 1e-4
        print(f"{role}: transformers {model.num_parameters()} parameters, input {text!r}: "
              f"{'same' if same else 'DIFFERENT'} {args.beams} sequences, largest score gap {gap:.2e}")
        if not same:
            print("  transformers:", theirs, out.sequences_scores.tolist())
            print("  idgenrec:    ", mine, ours["scores"])
            sys.exit(1)


if __name__ == "__main__":
    main()
