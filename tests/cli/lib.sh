# lib.sh -- helpers for the CLI tests. Each test script defines test_NAME functions and ends with "$@", so ctest
# runs one case as `bash script test_NAME`. The environment gives PLUMB (the binary), DATA (tests/data), SRC and
# BUILD (source and build trees).

set -u
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run CMD...: runs it, keeping stdout in $out, stderr in $err and the exit status in $rc.
run() {
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    out=$(cat "$TMP/out")
    err=$(cat "$TMP/err")
}

fail() {
    printf 'FAIL: %s\n--- stdout:\n%s\n--- stderr:\n%s\n' "$1" "${out:-}" "${err:-}" >&2
    exit 1
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "exit status $rc, expected $1"; }
expect_err() { [ "$err" = "$1" ] || fail "stderr is not: $1"; }
expect_out_has() { grep -qF -- "$1" "$TMP/out" || fail "stdout lacks: $1"; }
expect_err_has() { grep -qF -- "$1" "$TMP/err" || fail "stderr lacks: $1"; }
expect_out_line() { grep -qE -- "$1" "$TMP/out" || fail "no stdout line matches: $1"; }
expect_no_file() { [ ! -e "$1" ] || fail "file $1 exists"; [ -z "$(ls "$(dirname "$1")" | grep -F "$(basename "$1").tmp" || true)" ] || fail "temporary file left beside $1"; }
