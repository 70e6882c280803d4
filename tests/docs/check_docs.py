#!/usr/bin/python3
"""check_docs.py -- the example outputs in docs/*.md are what the commands print today.

A fenced block opened with ```console holds one or more commands, each on a line starting with "$ plumb ", each
followed by the output it prints (stdout, then stderr); this script runs every such command and compares. Commands
run in a scratch folder where `examples` and `tests` point to the project's, so files a command writes (`--oof
oof.csv`) stay out of the tree and later blocks of the same page can read them. Output is normalised before the
comparison: the scratch folder's path becomes "." and trailing spaces go; a duration ("0.004 s") matches any
duration; a block with a line "..." shows a selection of the output: its other lines must be output lines, in order. A command
may go on over lines ending in a backslash.

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


DURATION = re.compile(r"\b\d+(\.\d+)? s\b")


def matches(want, got):
    """Whether got is want, durations aside. A block with "..." lines shows a selection: its other lines must all
    be output lines, in the same order (a changed number is still caught)."""
    want, got = DURATION.sub("N s", want), DURATION.sub("N s", got)
    shown = [line.strip() for line in want.splitlines()]
    if "..." not in shown:
        return want == got
    out = iter(line.strip() for line in got.splitlines())
    return all(any(line == o for o in out) for line in shown if line != "...")


def commands(lines):
    """The "$ plumb" commands of a block, each with its continuation lines joined."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith("$ plumb "):
            cmd, text = lines[i].rstrip("\n"), lines[i]
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd, text = cmd[:-1] + " " + lines[i].strip(), text + lines[i]
            out.append((cmd, text))
        i += 1
    return out


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
            for cmd, text in commands(lines):
                got += text + run(plumb, cmd, scratch)
            want = "".join(l.rstrip() + "\n" for l in lines)
            if not matches(want, got) and not update:
                ok = False
                line_no = text[:m.start()].count("\n") + 1
                print(f"{os.path.relpath(path, ROOT)}:{line_no}: the example's output differs from today's "
                      f"(tests/docs/check_docs.py --update rewrites it):", file=sys.stderr)
                sys.stderr.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "docs",
                                                           "today"))
            return "```console\n" + (got if update and not matches(want, got) else body) + "```\n"

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
