#!/usr/bin/env bash
# test_predict.sh -- `plumb predict`: files and standard input, empty inputs.
source "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"

# issue 12: an empty standard input spun forever; it gives the header alone, exit 0
test_predict_empty_stdin() {
    head -300 "$CREDIT" >"$TMP/c.csv"
    "$PLUMB" train "$TMP/c.csv" --target Status --positive-class bad -q --num-iterations 3 -o "$TMP/m.plumb" >/dev/null || fail "train"
    run timeout 10 "$PLUMB" predict "$TMP/m.plumb" </dev/null
    expect_rc 0
    [ "$out" = "p_bad" ] || fail "empty input: not the header alone"
    run timeout 10 "$PLUMB" predict "$TMP/m.plumb" - </dev/null
    expect_rc 0
    [ "$out" = "p_bad" ] || fail "empty input '-': not the header alone"
    # a header without rows: the header alone too
    run timeout 10 "$PLUMB" predict "$TMP/m.plumb" < <(head -1 "$CREDIT")
    expect_rc 0
    [ "$out" = "p_bad" ] || fail "header only: not the header alone"
}

"$@"
