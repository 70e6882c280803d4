#!/usr/bin/python3
"""check_docs.py -- the example outputs in docs/*.md are what the commands print today.

A fenced block opened with ```console holds one or more commands, each on a line starting with "$ plumb ", each
followed by the output it prints (stdout, then stderr); this script runs every such command and compares. Commands
run in a scratch folder where `examples` and `tests` point to the project's, so files a command writes (`--oof
oof.csv`) stay out of the tree and later blocks of the same page can read them. Output is normalised before the
comparison: the scratch folder's path becomes "." and trailing spaces go.

Usage: tests/docs/check_docs.py --plumb build/plumb [--update] [docs/cv.md ...]
  --update  rewrites the blocks with the outputs of today (then review the diff and commit it)
Exit status: 0 when every block matches, 1 otherwise (with a diff per block), 2 for bad usage.
"""
import argparse
import difflib
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FENCE = re.compile(r"^```console\n(.*?)^```\n", re.S | re.M)
BUDGET = 60.0  # seconds for all pages: examples must stay quick


def run(plumb, line, scratch):
    """The normalised output of one "$ plumb ..." line, run in scratch."""
    argv = shlex.split(line[2:])
    argv[0] = plumb
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    p = subprocess.run(argv, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=BUDGET)
    out = (p.stdout + p.stderr).replace(scratch + "/", "").replace(scratch, ".")
    if p.returncode != 0:
        out += f"[exit status {p.returncode}]\n"
    return "".join(l.rstrip() + "\n" for l in out.splitlines())


def check_page(path, plumb, update):
    text = open(path, encoding="utf-8").read()
    ok = True
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("examples", "tests"):
            os.symlink(os.path.join(ROOT, name), os.path.join(scratch, name))

        def block(m):
            nonlocal ok
            body = m.group(1)
            lines = body.splitlines(keepends=True)
            if not lines or not lines[0].startswith("$ plumb "):
                print(f"{path}: a console block must start with '$ plumb ...'", file=sys.stderr)
                ok = False
                return m.group(0)
            got = ""
            for line in lines:
                if line.startswith("$ plumb "):
                    got += line + run(plumb, line.rstrip("\n"), scratch)
            want = "".join(l.rstrip() + "\n" for l in lines)
            if got != want and not update:
                ok = False
                line_no = text[:m.start()].count("\n") + 1
                print(f"{os.path.relpath(path, ROOT)}:{line_no}: the example's output differs from today's "
                      f"(tests/docs/check_docs.py --update rewrites it):", file=sys.stderr)
                sys.stderr.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "docs",
                                                           "today"))
            return "```console\n" + got + "```\n"

        new = FENCE.sub(block, text)
    if update and new != text:
        open(path, "w", encoding="utf-8").write(new)
        print(f"updated {os.path.relpath(path, ROOT)}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plumb", required=True, help="the plumb binary")
    ap.add_argument("--update", action="store_true", help="rewrite the blocks with today's outputs")
    ap.add_argument("pages", nargs="*", help="Markdown pages (default: docs/*.md)")
    a = ap.parse_args()
    plumb = os.path.abspath(a.plumb)
    pages = a.pages or sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    start = time.monotonic()
    ok = all([check_page(os.path.abspath(p), plumb, a.update) for p in pages])
    spent = time.monotonic() - start
    if spent > BUDGET:
        print(f"the docs' examples took {spent:.0f} s, more than {BUDGET:.0f} s: make them smaller", file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
