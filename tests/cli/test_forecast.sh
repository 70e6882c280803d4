#!/usr/bin/env bash
# test_forecast.sh -- `plumb forecast train|predict`: a model from a short daily history, forecasts as CSV, analogs
# and known-future covariates; bad series as file:line:column errors with nothing written; usage errors.
source "$(dirname "$0")/lib.sh"

# series FILE DAYS [ID SCALE]...: daily demand with a weekly shape from 2021-01-04 (a Monday), long format with an
# id column when series are named, else date,y; covariate 'promo' on every 5th day lifts demand by 30%.
series() {
    local file=$1 days=$2
    shift 2
    python3 - "$file" "$days" "$@" <<'EOF'
import random, sys, datetime
f, days, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
named = bool(rest)
pairs = [(rest[i], float(rest[i + 1])) for i in range(0, len(rest), 2)] or [("", 100.0)]
week = [1.0, 1.05, 1.1, 1.05, 0.95, 0.35, 0.3]
rng = random.Random(7)
with open(f, "w") as out:
    out.write("date,y,promo" + (",id" if named else "") + "\n")
    for name, scale in pairs:
        for i in range(days):
            d = datetime.date(2021, 1, 4) + datetime.timedelta(days=i)
            promo = 1 if i % 5 == 0 else 0
            y = scale * week[i % 7] * (1.3 if promo else 1) * (1 + 0.04 * (rng.random() - 0.5))
            out.write(f"{d},{y:.4f},{promo}" + (f",{name}" if named else "") + "\n")
EOF
}

test_forecast_train_and_predict() {
    series "$TMP/h.csv" 56
    run "$PLUMB" forecast train "$TMP/h.csv" --time-col date --target y --horizon 14 -o "$TMP/m.plumb" -t 2
    expect_rc 0
    expect_out_line "^wrote $TMP/m.plumb: forecasts 14 days ahead, 300 trees on [0-9]+ rows"
    run "$PLUMB" forecast predict "$TMP/m.plumb" "$TMP/h.csv" -o "$TMP/f.csv"
    expect_rc 0
    expect_err "wrote $TMP/f.csv: 14 forecasts"
    [ "$(head -1 "$TMP/f.csv")" = "date,horizon,y" ] || fail "header: $(head -1 "$TMP/f.csv")"
    [ "$(sed -n 2p "$TMP/f.csv" | cut -d, -f1,2)" = "2021-03-01,1" ] || fail "first row: $(sed -n 2p "$TMP/f.csv")"
    [ "$(tail -1 "$TMP/f.csv" | cut -d, -f1,2)" = "2021-03-14,14" ] || fail "last row: $(tail -1 "$TMP/f.csv")"
    # a Saturday (2021-03-06) is forecast well below a Wednesday (2021-03-03): the weekly shape was learnt
    awk -F, '$1 == "2021-03-03" { w = $3 } $1 == "2021-03-06" { s = $3 } END { exit !(s < 0.5 * w) }' "$TMP/f.csv" ||
        fail "weekly shape not forecast: $(cat "$TMP/f.csv")"
    # the model is a plumb model file (a gbdt model carrying the forecast spec)
    [ "$(head -c 12 "$TMP/m.plumb")" = "plumb-model " ] || fail "not a model file"
    # --origin forecasts from an earlier day, and a shorter horizon
    run "$PLUMB" forecast predict "$TMP/m.plumb" "$TMP/h.csv" --origin 2021-02-14 --horizon 3 -o -
    expect_rc 0
    [ "$(echo "$out" | cut -d, -f1,2 | tr '\n' ' ')" = "date,horizon 2021-02-15,1 2021-02-16,2 2021-02-17,3 " ] ||
        fail "origin forecasts"
}

test_forecast_analogs_and_covariates() {
    series "$TMP/h.csv" 35 new 50
    series "$TMP/r.csv" 400 a 10 b 1000 c 3
    series "$TMP/fut.csv" 42 new 50
    run "$PLUMB" forecast train "$TMP/h.csv" --time-col date --target y --series-col id --horizon 7 --num-iterations 100 \
        --future-cols promo --related "$TMP/r.csv" --related-stride 3 -o "$TMP/m.plumb" -t 2
    expect_rc 0
    run "$PLUMB" forecast predict "$TMP/m.plumb" "$TMP/h.csv" -o "$TMP/f.csv"
    expect_rc 1
    expect_err "plumb: the model uses known-future covariates: give them for the horizon (--future)"
    expect_no_file "$TMP/f.csv"
    run "$PLUMB" forecast predict "$TMP/m.plumb" "$TMP/h.csv" --future "$TMP/fut.csv" -o "$TMP/f.csv"
    expect_rc 0
    [ "$(head -1 "$TMP/f.csv")" = "id,date,horizon,y" ] || fail "header: $(head -1 "$TMP/f.csv")"
    # day 35 (2021-02-08) has a promotion: forecast above the Monday after it (day 42 is past the horizon, so
    # compare with the Tuesday, day 36, which has none and weighs 1.05 against Monday's 1.0 x 1.3)
    awk -F, '$2 == "2021-02-08" { p = $4 } $2 == "2021-02-09" { q = $4 } END { exit !(p > 1.1 * q) }' "$TMP/f.csv" ||
        fail "promotion not forecast: $(cat "$TMP/f.csv")"
    head -40 "$TMP/fut.csv" >"$TMP/short.csv" # 39 days, to 2021-02-11: the horizon needs up to 2021-02-14
    run "$PLUMB" forecast predict "$TMP/m.plumb" "$TMP/h.csv" --future "$TMP/short.csv" -o "$TMP/g.csv"
    expect_rc 1
    expect_err "plumb: covariate 'promo' missing for 2021-02-12 in series 'new': the horizon needs it"
    expect_no_file "$TMP/g.csv"
}

test_forecast_bad_series() {
    printf 'date,y\n2021-01-01,1\n2021-01-02,2\n2021-01-02,3\n' >"$TMP/dup.csv"
    run "$PLUMB" forecast train "$TMP/dup.csv" --time-col date --target y --horizon 3 -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "$TMP/dup.csv:4:1: duplicate date '2021-01-02' (first on line 3)"
    expect_no_file "$TMP/m.plumb"
    printf 'date,y\n2021-01-01,1\n01/02/2021,2\n' >"$TMP/bad.csv"
    run "$PLUMB" forecast train "$TMP/bad.csv" --time-col date --target y --horizon 3 -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "$TMP/bad.csv:3:1: bad date '01/02/2021' in column 'date' (expected YYYY-MM-DD)"
    expect_no_file "$TMP/m.plumb"
    run "$PLUMB" forecast train "$TMP/bad.csv" --time-col day --target y --horizon 3 -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "$TMP/bad.csv:1:1: time column 'day' not found in header"
    expect_no_file "$TMP/m.plumb"
    # a good model, bad history at prediction: no forecast file
    series "$TMP/h.csv" 30
    "$PLUMB" forecast train "$TMP/h.csv" --time-col date --target y --horizon 3 -o "$TMP/m.plumb" >/dev/null ||
        fail "train"
    run "$PLUMB" forecast predict "$TMP/m.plumb" "$TMP/dup.csv" -o "$TMP/f.csv"
    expect_rc 1
    expect_err "$TMP/dup.csv:4:1: duplicate date '2021-01-02' (first on line 3)"
    expect_no_file "$TMP/f.csv"
    run "$PLUMB" forecast predict "$TMP/m.plumb" "$TMP/h.csv" --origin 2021-01-08 -o "$TMP/f.csv"
    expect_rc 1
    expect_err "plumb: series '' has 5 days of history; forecasting needs at least 7"
    expect_no_file "$TMP/f.csv"
    run "$PLUMB" forecast predict "$DATA/models/gbdt_binary.plumb" "$TMP/h.csv" -o "$TMP/f.csv"
    expect_rc 1
    expect_err "plumb: not a forecast model: train one with plumb forecast train"
    expect_no_file "$TMP/f.csv"
}

test_forecast_usage() {
    series "$TMP/h.csv" 30
    run "$PLUMB" forecast train "$TMP/h.csv" --time-col date --target y --horizon 0 -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb forecast: option '--horizon' expects an integer of at least 1, got '0'"
    run "$PLUMB" forecast train "$TMP/h.csv" --time-col date --target y --horizon -3 -o "$TMP/m.plumb"
    expect_rc 2
    run "$PLUMB" forecast train "$TMP/h.csv" --target y --horizon 3 -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb forecast: missing option '--time-col COL'"
    run "$PLUMB" forecast train "$TMP/h.csv" --time-col date --target y -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb forecast: missing option '--horizon N'"
    run "$PLUMB" forecast fit "$TMP/h.csv" -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb forecast: unknown subcommand 'fit' (expected train or predict)"
    run "$PLUMB" forecast predict "$TMP/m.plumb" "$TMP/h.csv" --target y -o "$TMP/f.csv"
    expect_rc 2
    expect_err_has "plumb forecast: option '--target' does not apply to predict"
    expect_no_file "$TMP/m.plumb"
}

"$@"
