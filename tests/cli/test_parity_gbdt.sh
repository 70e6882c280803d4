#!/bin/bash
# Gradient boosting against its peers, live: XGBoost and scikit-learn (installed by scripts/bootstrap) train on the
# same data and splits as plumb (tests/parity/gbdt_peers.py says how); each case fails when plumb misses the bar.
. "$(dirname "$0")/lib.sh"

peer() {
    /usr/bin/python3 "$SRC/tests/parity/gbdt_peers.py" "$PLUMB" "$1" >"$TMP/out" 2>"$TMP/err" ||
        fail "$(cat "$TMP/out" "$TMP/err")"
    cat "$TMP/out"
}

test_parity_credit_cv_auc() { peer credit; }
test_parity_poisson_series() { peer poisson_series; }
test_parity_poisson_chicago() { peer poisson_chicago; }
test_parity_quantile_series() { peer quantile_series; }
test_parity_quantile_chicago() { peer quantile_chicago; }
test_parity_multiclass() { peer multiclass; }
test_parity_many_classes() { peer many_classes; }

"$@"
