#!/usr/bin/python3
"""fill_store.py -- the serving benchmark's entities and request bodies, the same for plumb serve and the peer.

usage: /usr/bin/python3 bench/serve/fill_store.py [--rows N] [--redis redis://127.0.0.1:6379]
       [--table features] [--csv OUT.csv] [--bodies OUT.txt] DATA.csv

Takes the first --rows rows (10000) of DATA.csv (the Higgs-like test file of bench/gen_higgs), without the
label, as text exactly as the file has them. Entity k is row k ("0", "1", ...):
  --redis   writes each row as the hash TABLE:k (HSET, pipelined), what peer.py --redis and
            plumb serve --features redis://... read;
  --csv     writes the rows with an "id" column first, for `plumb features load OUT.csv --key id --db F.db`;
  --bodies  writes one v1 request body a line, {"instances": [ROW]} with every feature of row k (a missing value
            left out), the bodies rows.lua cycles through when the features come in the request.
"""
import argparse
import csv
import json
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("data")
    p.add_argument("--rows", type=int, default=10000)
    p.add_argument("--redis")
    p.add_argument("--table", default="features")
    p.add_argument("--csv")
    p.add_argument("--bodies")
    args = p.parse_args()
    with open(args.data, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        keep = [i for i, name in enumerate(header) if name != "label"]
        names = [header[i] for i in keep]
        rows = []
        for row in reader:
            if len(rows) == args.rows:
                break
            rows.append([row[i] for i in keep])
    if not rows:
        sys.exit(f"{args.data}: no rows")
    if args.redis:
        import redis

        r = redis.Redis.from_url(args.redis)
        pipe = r.pipeline(transaction=False)
        for k, row in enumerate(rows):
            pipe.delete(f"{args.table}:{k}")
            pipe.hset(f"{args.table}:{k}", mapping={n: v for n, v in zip(names, row) if v != ""})
            if k % 1000 == 999:
                pipe.execute()
        pipe.execute()
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id"] + names)
            for k, row in enumerate(rows):
                w.writerow([k] + row)
    if args.bodies:
        with open(args.bodies, "w") as f:
            for row in rows:
                # the file's decimal text is already a JSON number: sent as written, not re-rounded
                fields = ", ".join(f'"{n}": {v}' for n, v in zip(names, row) if v != "")
                f.write('{"instances": [{' + fields + "}]}\n")
    print(f"{len(rows)} entities of {len(names)} features")


if __name__ == "__main__":
    main()
