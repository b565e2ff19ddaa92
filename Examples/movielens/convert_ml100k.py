#!/usr/bin/env python3
"""MovieLens-100k (GroupLens's u.item, u.genre, u.data) in the project's dataset format, for the README's
zero-shot check on a catalogue of films: items.jsonl (the title with its year, the genres as categories) and
user_sequence.txt (each user's films ordered by rating time; ties keep file order).

    python3 Examples/movielens/convert_ml100k.py PATH/TO/ml-100k OUT_FOLDER
"""
import collections
import json
import os
import sys


def main(source, out):
    with open(os.path.join(source, "u.genre"), encoding="latin-1") as f:
        genres = [line.split("|")[0] for line in f if line.strip()]
    items = {}
    with open(os.path.join(source, "u.item"), encoding="latin-1") as f:
        for line in f:
            fields = line.rstrip("\n").split("|")
            flags = fields[5:5 + len(genres)]
            item = {"item_id": "m" + fields[0], "title": fields[1]}
            categories = [g for g, flag in zip(genres, flags) if flag == "1" and g != "unknown"]
            if categories:
                item["categories"] = categories
            items[fields[0]] = item
    sequences = collections.defaultdict(list)
    with open(os.path.join(source, "u.data")) as f:
        for position, line in enumerate(f):
            fields = line.split()
            if len(fields) < 4:
                continue
            sequences[fields[0]].append((int(fields[3]), position, fields[1]))
    os.makedirs(out, exist_ok=True)
    rated = set()
    with open(os.path.join(out, "user_sequence.txt"), "w") as f:
        for user in sorted(sequences, key=int):
            films = [film for _, _, film in sorted(sequences[user])]
            rated.update(films)
            f.write("u" + user + " " + " ".join("m" + film for film in films) + "\n")
    with open(os.path.join(out, "items.jsonl"), "w") as f:
        for key in sorted(items, key=int):
            if key in rated:
                f.write(json.dumps(items[key]) + "\n")
    print(f"{len(sequences)} users, {len(rated)} films: {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
