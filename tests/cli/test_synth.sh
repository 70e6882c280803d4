#!/usr/bin/env bash
# test_synth.sh -- `plumb synth credit`: the files it writes (table, truth, schema) and how plumb reads them back,
# standard output, determinism, usage errors (exit 2, nothing written) and failed writes that leave no file; and,
# live, the planted strengths measured with XGBoost (tests/parity/synth_credit.py, labelled slow).
source "$(dirname "$0")/lib.sh"

# usage_fails MESSAGE ARGS...: `plumb synth ARGS` is a usage error: exit 2, MESSAGE and the pointer to --help.
usage_fails() {
    local message=$1
    shift
    run "$PLUMB" synth "$@"
    expect_rc 2
    expect_err "$(printf "plumb synth: %s\nsee 'plumb synth --help'" "$message")"
    [ -z "$out" ] || fail "stdout is not empty"
}

test_synth_writes_table_truth_schema() {
    run "$PLUMB" synth credit --rows 800 --seed 3 -o "$TMP/t.csv" --truth "$TMP/t.json" --schema-out "$TMP/s.json"
    expect_rc 0
    [ "$(wc -l <"$TMP/t.csv")" -eq 801 ] || fail "expected 801 lines, got $(wc -l <"$TMP/t.csv")"
    head -1 "$TMP/t.csv" | grep -qx "application_id,client_id,application_date,age,marital,home,job,seniority,months_with_bank,prior_arrears,income,expenses,assets,debt,purpose,amount,price,term_months,verification_flag,collections_amount,status" ||
        fail "unexpected header: $(head -1 "$TMP/t.csv")"
    grep -q '"flipped_rows": \[' "$TMP/t.json" || fail "truth lacks flipped_rows"
    grep -q '"snapshot_date": "20' "$TMP/t.json" || fail "truth lacks the snapshot date"
    grep -q '"role": "leak_post_outcome"' "$TMP/t.json" || fail "truth lacks the column roles"
    # plumb reads the table with its schema: roles target, id, time
    run "$PLUMB" inspect "$TMP/t.csv" --schema "$TMP/s.json"
    expect_rc 0
    expect_out_line '^ +1  application_id +string +id '
    expect_out_line '^ +3  application_date +datetime +time '
    expect_out_line '^ +21  status +categorical +target '
    expect_out_line '^ +19  verification_flag +categorical +feature '
    expect_out_has "800 rows, 21 columns"
}

test_synth_stdout_same_bytes() {
    run "$PLUMB" synth credit -n 300 -o -
    expect_rc 0
    cp "$TMP/out" "$TMP/stdout.csv"
    run "$PLUMB" synth credit -n 300 -o "$TMP/file.csv"
    expect_rc 0
    [ -z "$out" ] || fail "stdout is not empty when writing a file"
    cmp -s "$TMP/stdout.csv" "$TMP/file.csv" || fail "standard output differs from the file"
}

test_synth_deterministic_across_threads() {
    "$PLUMB" synth credit -n 4000 --seed 9 -t 1 -o "$TMP/a.csv" --truth "$TMP/a.json" || fail "run 1"
    "$PLUMB" synth credit -n 4000 --seed 9 -t 2 -o "$TMP/b.csv" --truth "$TMP/b.json" || fail "run 2"
    "$PLUMB" synth credit -n 4000 --seed 10 -o "$TMP/c.csv" || fail "run 3"
    cmp -s "$TMP/a.csv" "$TMP/b.csv" || fail "tables differ between 1 and 2 threads"
    cmp -s "$TMP/a.json" "$TMP/b.json" || fail "truth files differ between 1 and 2 threads"
    ! cmp -s "$TMP/a.csv" "$TMP/c.csv" || fail "another seed gave the same table"
}

test_synth_options_reach_the_table() {
    run "$PLUMB" synth credit -n 1000 --start 2019-07-01 --months 12 --outcome-window 90 --flip-rate 0 \
        -o "$TMP/t.csv" --truth "$TMP/t.json"
    expect_rc 0
    sed -n 2p "$TMP/t.csv" | grep -q ',2019-07-01,' || fail "first row is not on the start date"
    grep -q '"snapshot_date": "2020-06-30"' "$TMP/t.json" || fail "snapshot is not the last day of the period"
    grep -q '"outcome_window_days": 90' "$TMP/t.json" || fail "window not recorded"
    grep -q '"flipped_rows": \[\]' "$TMP/t.json" || fail "flip rate 0 still flipped labels"
    run "$PLUMB" synth credit -n 200 --view decision -o "$TMP/d.csv"
    expect_rc 0
    # decision view: no review flag and no collections anywhere
    [ "$(tail -n +2 "$TMP/d.csv" | cut -d, -f19,20 | sort -u)" = ",0.00" ] || fail "decision view has leaks"
}

test_synth_usage_errors() {
    usage_fails "missing option '--output' (-o FILE, or -o - for standard output)" credit
    usage_fails "unknown generator 'housing' (known: credit)" housing -o "$TMP/t.csv"
    usage_fails "missing argument: usage: plumb synth credit [options] -o table.csv [--truth truth.json] [--schema-out schema.json]" -o "$TMP/t.csv"
    usage_fails "option '--flip-rate' expects a share from 0 to 1, got '1.5'" credit --flip-rate 1.5 -o "$TMP/t.csv"
    usage_fails "option '--flip-rate' expects a number, got 'lots'" credit --flip-rate lots -o "$TMP/t.csv"
    usage_fails "option '--rows' expects an integer of at least 1, got '0'" credit -n 0 -o "$TMP/t.csv"
    usage_fails "option '--rows' expects an integer from 1 to 10000000, got '100000000'" credit -n 100000000 -o "$TMP/t.csv"
    usage_fails "option '--months' expects an integer from 1 to 1200, got '5000'" credit --months 5000 -o "$TMP/t.csv"
    usage_fails "option '--view' expects warehouse or decision, got 'live'" credit --view live -o "$TMP/t.csv"
    usage_fails "the table and the truth cannot both go to standard output" credit -o - --truth -
    expect_no_file "$TMP/t.csv"
}

test_synth_bad_start_writes_nothing() {
    usage_fails "bad start date '2021-13-01': expected YYYY-MM-DD" credit --start 2021-13-01 -o "$TMP/t.csv" \
        --truth "$TMP/t.json" --schema-out "$TMP/s.json"
    expect_no_file "$TMP/t.csv"
    expect_no_file "$TMP/t.json"
    expect_no_file "$TMP/s.json"
}

test_synth_unwritable_truth_leaves_no_table() {
    run "$PLUMB" synth credit -n 100 -o "$TMP/t.csv" --truth "$TMP/missing/t.json"
    expect_rc 2
    expect_err "$(printf "%s\n%s" "plumb synth: cannot write output '$TMP/missing/t.json': folder '$TMP/missing' does not exist" \
        "see 'plumb synth --help'")"
    expect_no_file "$TMP/t.csv"
    run "$PLUMB" synth credit -n 100 -o "$TMP/t.csv" --truth "$TMP/t.json" --schema-out "$TMP/missing/s.json"
    expect_rc 2
    expect_err_has "plumb synth: cannot write output '$TMP/missing/s.json': folder '$TMP/missing' does not exist"
    expect_no_file "$TMP/t.csv"
    expect_no_file "$TMP/t.json"
}

test_synth_full_disk_on_stdout() {
    [ -w /dev/full ] || return 0
    "$PLUMB" synth credit -n 20000 -o - >/dev/full 2>"$TMP/e"
    rc=$?
    err=$(cat "$TMP/e")
    expect_rc 1
    expect_err "plumb: cannot write the table: No space left on device"
}

test_synth_help() {
    run "$PLUMB" synth --help
    expect_rc 0
    expect_out_has "usage: plumb synth credit [options] -o table.csv"
    expect_out_has "collections_amount"
    expect_out_has "verification_flag"
    expect_out_has "client_id"
    expect_out_has "--flip-rate F"
    expect_out_has "(default: 0.08)"
    run "$PLUMB" --help
    expect_out_line '^  synth +generate a credit-scoring table'
}

test_parity_synth_credit() {
    /usr/bin/python3 "$SRC/tests/parity/synth_credit.py" "$PLUMB" --check "$SRC/tests/parity/synth_credit_golden.json" \
        >"$TMP/out" 2>"$TMP/err" || fail "$(cat "$TMP/out" "$TMP/err")"
    cat "$TMP/out"
}

"$@"
