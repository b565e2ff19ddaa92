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


def fail(message):
    sys.exit(f"convert_ml100k: {message}")


def write_atomically(path, lines):
    """Writes to a temporary file beside `path`, then renames it: never a half-written file."""
    temporary = path + ".partial"
    with open(temporary, "w") as f:
        f.writelines(lines)
    os.replace(temporary, path)


def main(source, out):
    with open(os.path.join(source, "u.genre"), encoding="latin-1") as f:
        genres = [line.split("|")[0] for line in f if line.strip()]
    items = {}
    with open(os.path.join(source, "u.item"), encoding="latin-1") as f:
        for number, line in enumerate(f, 1):
            fields = line.rstrip("\n").split("|")
            if len(fields) < 5 + len(genres) or not fields[0].isdigit():
                fail(f"{source}/u.item line {number}: expected an id, a title and {len(genres)} genre flags")
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
            if len(fields) != 4 or not all(field.isdigit() for field in fields):
                fail(f"{source}/u.data line {position + 1}: expected user, item, rating, timestamp")
            if fields[1] not in items:
                fail(f"{source}/u.data line {position + 1}: film {fields[1]} has no line in u.item")
            sequences[fields[0]].append((int(fields[3]), position, fields[1]))
    os.makedirs(out, exist_ok=True)
    rated, lines = set(), []
    for user in sorted(sequences, key=int):
        films = [film for _, _, film in sorted(sequences[user])]
        rated.update(films)
        lines.append("u" + user + " " + " ".join("m" + film for film in films) + "\n")
    write_atomically(os.path.join(out, "user_sequence.txt"), lines)
    write_atomically(os.path.join(out, "items.jsonl"),
                     [json.dumps(items[key]) + "\n" for key in sorted(items, key=int) if key in rated])
    print(f"{len(sequences)} users, {len(rated)} films: {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
