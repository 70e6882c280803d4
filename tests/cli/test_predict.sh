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

# issue 23: ids were copied from the parsed frame: a date id came out empty, a number as its float32 (2.002 as
# 2.00200009), and the out-of-fold file wrote targets with 17 digits (15.104 as 15.103999999999999)
test_predict_ids_copied_as_written() {
    printf 'when,code,x,y\n' >"$TMP/d.csv"
    awk 'BEGIN { srand(2); for (i = 1; i <= 120; i++) { x = rand(); printf "2024-01-%02d,%.3f,%.4f,%.6g\n",
        (i % 28) + 1, 2 + i / 1000, x, int(15100 + x * 10) / 1000 } }' >>"$TMP/d.csv"
    "$PLUMB" train "$TMP/d.csv" --target y -q --num-iterations 3 --min-data-in-leaf 5 -o "$TMP/m.plumb" >/dev/null ||
        fail "train"
    for id in when code; do
        local col
        col=$(head -1 "$TMP/d.csv" | tr , '\n' | grep -n "^$id$" | cut -d: -f1)
        run "$PLUMB" predict "$TMP/m.plumb" "$TMP/d.csv" --id-col "$id"
        expect_rc 0
        [ "$(printf '%s\n' "$out" | cut -d, -f1)" = "$(cut -d, -f"$col" "$TMP/d.csv")" ] || fail "ids of $id (file)"
        run "$PLUMB" predict "$TMP/m.plumb" --id-col "$id" <"$TMP/d.csv"
        expect_rc 0
        [ "$(printf '%s\n' "$out" | cut -d, -f1)" = "$(cut -d, -f"$col" "$TMP/d.csv")" ] || fail "ids of $id (stdin)"
        # cv --oof: the id and the target as written
        "$PLUMB" cv "$TMP/d.csv" --target y --id-col "$id" -k 3 --num-iterations 3 --min-data-in-leaf 5 -q \
            --oof "$TMP/oof.csv" >/dev/null || fail "cv"
        [ "$(head -1 "$TMP/oof.csv")" = "$id,fold,y,prediction" ] || fail "oof header"
        [ "$(tail -n +2 "$TMP/oof.csv" | cut -d, -f1,3 | sort)" = \
            "$(tail -n +2 "$TMP/d.csv" | cut -d, -f"$col",4 | sort)" ] || fail "oof ids and targets of $id"
    done
}

"$@"
