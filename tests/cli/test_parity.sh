#!/usr/bin/env bash
# test_parity.sh -- live parity with scikit-learn: runs tests/parity/sklearn_metrics.py now and compares plumb's
# metrics, curves, calibrators and splits with its fresh output (the unit test parity_golden compares with the
# committed copy). Skipped, saying so, when /usr/bin/python3 has no scikit-learn.
source "$(dirname "$0")/lib.sh"

test_metrics_parity_live() {
    if ! /usr/bin/python3 -c "import sklearn, scipy, pandas" 2>/dev/null; then
        echo "SKIP: /usr/bin/python3 lacks scikit-learn, scipy or pandas: live parity not run"
        return 0
    fi
    run /usr/bin/python3 "$SRC/tests/parity/sklearn_metrics.py" --out "$TMP/golden.json"
    expect_rc 0
    expect_out_line "metric cases, [0-9]+ calibrations, [0-9]+ splits \(scikit-learn [0-9.]+\)$"
    PLUMB_GOLDEN_METRICS="$TMP/golden.json" run "$BUILD/tests/test_metrics" parity_golden
    expect_rc 0
    expect_err_has "[  PASSED  ] 1 test(s)."
}

"$@"
