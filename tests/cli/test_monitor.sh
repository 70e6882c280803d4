# test_monitor.sh -- `plumb monitor`: exit 0 on data like the training data, 3 with an alert naming the broken
# column, 1 on bad input, 2 on usage errors.
. "$(dirname "$0")/lib.sh"

# A credit model trained with held-out rows (so the profile's scores are out of sample), and its training table.
credit_model() {
    "$PLUMB" synth credit --rows 6000 --seed 3 --view decision -o "$TMP/t.csv" --schema-out "$TMP/s.json" -q ||
        fail "synth"
    "$PLUMB" train "$TMP/t.csv" --schema "$TMP/s.json" --target status --valid-fraction 0.3 --valid-split random \
        --num-iterations 30 -o "$TMP/m.plumb" -q >/dev/null || fail "train"
}

test_monitor_training_data_exits_zero() {
    credit_model
    run "$PLUMB" monitor "$TMP/m.plumb" "$TMP/t.csv" --labels-col status
    expect_rc 0
    expect_out_line "^all rows: 6000 rows, 0 alerts, expected AUC 0\.[0-9]+ \(reference 0\.[0-9]+\), realised AUC"
    run "$PLUMB" monitor "$TMP/m.plumb" "$TMP/t.csv" --json
    expect_rc 0
    expect_out_has '"alerts": 0,'
}

test_monitor_unit_change_alerts() {
    credit_model
    # income in thousandths: column 11 times 1000 (the header kept)
    awk -F, 'BEGIN { OFS = "," } NR > 1 { $11 = $11 * 1000 } { print }' "$TMP/t.csv" >"$TMP/new.csv"
    run "$PLUMB" monitor "$TMP/m.plumb" "$TMP/new.csv" --time-col application_date --window 4w
    expect_rc 3
    expect_out_line "^window [0-9-]{10}: [0-9]+ rows, [1-9][0-9]* alerts?"
    expect_out_line "^  range +income +[0-9.]+% of values outside the training range"
    expect_out_line "^  drift +income +(ks|wasserstein) "
}

test_monitor_bad_input() {
    credit_model
    run "$PLUMB" monitor "$TMP/m.plumb" "$TMP/t.csv" --time-col application_date --window 3x
    expect_rc 2
    expect_err_has "plumb monitor: option '--window' expects a length such as 7d, 24h or 30m, not '3x'"
    run "$PLUMB" monitor "$TMP/m.plumb" "$TMP/t.csv" --window 7d
    expect_rc 2
    expect_err_has "option '--window' needs --time-col"
    run "$PLUMB" monitor "$TMP/m.plumb" "$TMP/t.csv" --labels-col nope
    expect_rc 1
    expect_err "plumb: no labels column 'nope' in the data"
    run "$PLUMB" monitor "$DATA/models/gbdt_binary.plumb" "$DATA/models/credit300.csv"
    expect_rc 1
    expect_err_has "the model has no reference profile: retrain it with plumb"
    run "$PLUMB" monitor "$TMP/none.plumb" "$TMP/t.csv"
    expect_rc 1
}

"$@"
