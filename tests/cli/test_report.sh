#!/bin/bash
# plumb report: a run record as an HTML page, the record beside it, errors, and the page in a real browser.
. "$(dirname "$0")/lib.sh"

SAMPLE="$DATA/report/credit.json"

test_report_renders_sample() {
    run "$PLUMB" report "$SAMPLE" -o "$TMP/r.html"
    expect_rc 0
    expect_err "wrote $TMP/r.html"
    grep -q '<section class="summary" id="summary"' "$TMP/r.html" || fail "no summary"
    grep -qF 'ranks a random bad case above a random good one' "$TMP/r.html" || fail "no plain-words AUC"
    [ "$(grep -c '<svg class="chart"' "$TMP/r.html")" -ge 14 ] || fail "fewer charts than the record has"
    ! grep -qiE '<script|<link|<img|<iframe|@import|url\([^#]|NaN' "$TMP/r.html" || fail "the page is not self-contained"
    [ -z "$(grep -oE 'https?://[^" ]*' "$TMP/r.html" | grep -vx 'http://www.w3.org/2000/svg')" ] ||
        fail "the page links outside: $(grep -oE 'https?://[^" ]*' "$TMP/r.html" | sort -u)"
    cmp -s "$SAMPLE" "$TMP/r.json" || fail "the record beside the page differs from the input"
    "$PLUMB" report "$SAMPLE" -o "$TMP/again.html" 2>/dev/null || fail "second render"
    cmp -s "$TMP/r.html" "$TMP/again.html" || fail "the same record gave different pages"
}

test_report_default_output_and_stdout() {
    cp "$DATA/report/audit.json" "$TMP/a.json"
    run "$PLUMB" report "$TMP/a.json"
    expect_rc 0
    [ -s "$TMP/a.html" ] || fail "no a.html beside a.json"
    cmp -s "$DATA/report/audit.json" "$TMP/a.json" || fail "the record was rewritten"
    grep -q '<span class="badge critical">critical</span>' "$TMP/a.html" || fail "no critical badge"
    run "$PLUMB" report -o - "$TMP/a.json"
    expect_rc 0
    expect_out_has '<!DOCTYPE html>'
    [ "$(ls "$TMP")" = "$(printf 'a.html\na.json\nerr\nout')" ] || fail "stray files: $(ls "$TMP")"
    run "$PLUMB" report - <"$TMP/a.json"
    expect_rc 2
    expect_err "$(printf "plumb report: reading standard input: name the page with -o FILE\nsee 'plumb report --help'")"
}

test_report_errors() {
    printf '{"plumb_run": 1, "kind": "train",\n "evaluations": [{"curves": {"roc": {"fpr": [0, 1], "tpr": [0]}}}]}\n' \
        >"$TMP/bad.json"
    run "$PLUMB" report "$TMP/bad.json" -o "$TMP/bad.html"
    expect_rc 1
    expect_err "$TMP/bad.json: bad run record: 'evaluations[0].curves.roc': 'fpr' has 2 values, 'tpr' 1"
    expect_no_file "$TMP/bad.html"
    printf '{"plumb_run": 1,\n "kind": "train" "title": "x"}\n' >"$TMP/syntax.json"
    run "$PLUMB" report "$TMP/syntax.json" -o "$TMP/bad.html"
    expect_rc 1
    expect_err "$TMP/syntax.json:2:24: bad run record: '}' expected near '\"title\"'"
    expect_no_file "$TMP/bad.html"
    run "$PLUMB" report "$TMP/missing.json"
    expect_rc 1
    expect_err "plumb: cannot open '$TMP/missing.json': No such file or directory"
    run "$PLUMB" report
    expect_rc 2
    expect_err_has "missing argument: usage: plumb report [options] <run.json>"
    run "$PLUMB" report "$SAMPLE" -o "$TMP/no/such/dir/r.html"
    expect_rc 2
    expect_err_has "cannot write output '$TMP/no/such/dir/r.html': folder '$TMP/no/such/dir' does not exist"
}

# Renders the sample records and checks them in headless Chromium (tests/browser/check_report.py). The pages and
# their screenshots stay in the build tree (tests/browser/) to be looked at.
test_report_browser() {
    if ! command -v chromium >/dev/null 2>&1; then
        echo "SKIP: chromium is not installed (scripts/bootstrap installs it): the report was not checked in a browser"
        return 0
    fi
    if ! /usr/bin/python3 -c 'import websocket' 2>/dev/null; then
        echo "SKIP: python3-websocket is not installed (scripts/bootstrap installs it)"
        return 0
    fi
    local dir="$BUILD/tests/browser"
    mkdir -p "$dir"
    for name in credit audit; do
        "$PLUMB" report "$DATA/report/$name.json" -o "$dir/$name.html" 2>/dev/null || fail "render $name"
    done
    run /usr/bin/python3 "$SRC/tests/browser/check_report.py" --min-charts 14 "$dir/credit.html"
    expect_rc 0
    echo "$out" # the checker's one-line verdict
    run /usr/bin/python3 "$SRC/tests/browser/check_report.py" --min-charts 1 "$dir/audit.html"
    expect_rc 0
    echo "$out"
    [ -s "$dir/credit.png" ] && [ -s "$dir/credit-phone.png" ] && [ -s "$dir/audit.png" ] || fail "no screenshots"
    echo "screenshots: $dir/credit.png $dir/credit-phone.png $dir/audit.png"
    # the portfolio site built from them, checked the same way
    printf '# About\n\nNotes on *credit scoring* work.\n' >"$dir/about.md"
    "$PLUMB" site "$dir" -o "$dir/site" >/dev/null || fail "site"
    run /usr/bin/python3 "$SRC/tests/browser/check_report.py" --min-charts 1 "$dir/site/index.html"
    expect_rc 0
    echo "$out"
}

"$@"
