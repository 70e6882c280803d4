#!/usr/bin/env bash
# test_docs.sh -- the example outputs in docs/*.md (```console blocks) are what the commands print today
# (tests/docs/check_docs.py; `--update` rewrites them).
source "$(dirname "$0")/lib.sh"

test_docs_examples() {
    run /usr/bin/python3 "$SRC/tests/docs/check_docs.py" --plumb "$PLUMB"
    expect_rc 0
}

# the checker catches a stale number (today's docs/cv.md showed an AUC of 0.7768 where the command gave 0.8299)
test_docs_checker_catches_drift() {
    mkdir -p "$TMP/docs"
    printf '# x\n\n```console\n$ plumb eval --pred p.csv --target y\nbinary: 9 rows\n```\n' >"$TMP/docs/x.md"
    run /usr/bin/python3 "$SRC/tests/docs/check_docs.py" --plumb "$PLUMB" "$TMP/docs/x.md"
    expect_rc 1
    expect_err_has "the example's output differs from today's (tests/docs/check_docs.py --update rewrites it):"
    expect_err_has "+[exit status 1]"
    /usr/bin/python3 "$SRC/tests/docs/check_docs.py" --plumb "$PLUMB" --update "$TMP/docs/x.md" >/dev/null ||
        fail "update"
    run /usr/bin/python3 "$SRC/tests/docs/check_docs.py" --plumb "$PLUMB" "$TMP/docs/x.md"
    expect_rc 0
    # a selection of the lines ("...") must still show them as printed, in order; durations may differ
    local cmd='$ plumb inspect examples/credit/credit_data.csv --target Status'
    local head='examples/credit/credit_data.csv: 4454 rows, 14 columns (read in 9.5 s)'
    local line='  10  Income     numeric      feature       381 (8.6%)        351  min 6  mean 141.688  max 959'
    printf '```console\n%s\n%s\n...\n%s\n```\n' "$cmd" "$head" "$line" >"$TMP/docs/y.md"
    run /usr/bin/python3 "$SRC/tests/docs/check_docs.py" --plumb "$PLUMB" "$TMP/docs/y.md"
    expect_rc 0
    printf '```console\n%s\n%s\n...\n%s\n```\n' "$cmd" "$head" "${line/141.688/141.689}" >"$TMP/docs/y.md"
    run /usr/bin/python3 "$SRC/tests/docs/check_docs.py" --plumb "$PLUMB" "$TMP/docs/y.md"
    expect_rc 1
}

"$@"
