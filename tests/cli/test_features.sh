#!/usr/bin/env bash
# test_features.sh -- `plumb features load`: a CSV file into a SQLite table keyed by its primary key; values kept
# as written; missing or duplicate keys and malformed CSV as file:line:column errors; the database left as it was
# (or not created) on any error; usage errors.
source "$(dirname "$0")/lib.sh"

# rows DB SQL: prints the query's rows, one a line, fields joined by '|', NULL as <null> (Python's sqlite3).
rows() {
    python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):
    print("|".join("<null>" if v is None else str(v) for v in r))' "$1" "$2"
}

write_users() {
    printf 'user_id,age,city,score\nu1,30,Paris,0.10\nu2,,"New, York",NA\n\nu3,41,"Rome\nItaly",007\n' >"$TMP/users.csv"
}

test_features_load() {
    write_users
    run "$PLUMB" features load "$TMP/users.csv" --key user_id --db "$TMP/f.db"
    expect_rc 0
    expect_err "$TMP/f.db: table 'features' loaded from $TMP/users.csv, keyed by 'user_id'"
    [ -z "$out" ] || fail "stdout is not empty"
    [ "$(rows "$TMP/f.db" 'SELECT * FROM features ORDER BY user_id')" = "$(printf 'u1|30|Paris|0.10\nu2|<null>|New, York|<null>\nu3|41|Rome\nItaly|007')" ] ||
        fail "stored rows: $(rows "$TMP/f.db" 'SELECT * FROM features')"
    [ "$(rows "$TMP/f.db" "SELECT name, pk FROM pragma_table_info('features') WHERE pk = 1")" = "user_id|1" ] ||
        fail "user_id is not the primary key"
}

# Standard input ("-") is read like a file, and its errors name <stdin>.
test_features_load_stdin() {
    write_users
    run "$PLUMB" features load - --key user_id --db "$TMP/f.db" -q <"$TMP/users.csv"
    expect_rc 0
    [ "$(rows "$TMP/f.db" "SELECT score FROM features WHERE user_id = 'u3'")" = "007" ] || fail "stored rows"
    run "$PLUMB" features load - --key age --db "$TMP/g.db" <"$TMP/users.csv"
    expect_rc 1
    expect_err "<stdin>:3:4: missing key in column 'age'"
}

test_features_load_replaces_table() {
    write_users
    run "$PLUMB" features load "$TMP/users.csv" --key user_id --db "$TMP/f.db" --table 'my "users"' -q
    expect_rc 0
    [ -z "$out$err" ] || fail "-q printed something"
    printf 'user_id,level\nu7,gold\n' >"$TMP/new.csv"
    run "$PLUMB" features load "$TMP/new.csv" --key user_id --db "$TMP/f.db" --table 'my "users"' -q
    expect_rc 0
    [ "$(rows "$TMP/f.db" 'SELECT * FROM "my ""users"""')" = "u7|gold" ] || fail "the table was not replaced"
}

test_features_load_duplicate_key() {
    write_users
    printf 'u2,50,Oslo,1\n' >>"$TMP/users.csv" # line 7: the record of u3 spans lines 5 and 6
    run "$PLUMB" features load "$TMP/users.csv" --key user_id --db "$TMP/f.db"
    expect_rc 1
    expect_err "$TMP/users.csv:7:1: duplicate key 'u2' in column 'user_id' (first on line 3)"
    [ -z "$out" ] || fail "stdout is not empty"
    expect_no_file "$TMP/f.db"
}

# A failed load leaves an existing database as it was: the old table, whole.
test_features_load_failure_keeps_old_table() {
    write_users
    run "$PLUMB" features load "$TMP/users.csv" --key user_id --db "$TMP/f.db"
    expect_rc 0
    printf 'age,user_id\n1,a\n2,b\n3,\n' >"$TMP/bad.csv"
    run "$PLUMB" features load "$TMP/bad.csv" --key user_id --db "$TMP/f.db"
    expect_rc 1
    expect_err "$TMP/bad.csv:4:3: missing key in column 'user_id'"
    [ "$(rows "$TMP/f.db" 'SELECT count(*), min(city) FROM features' | tr -d '\n')" = "3|New, York" ] ||
        fail "the old table changed"
}

test_features_load_missing_key_column() {
    write_users
    run "$PLUMB" features load "$TMP/users.csv" --key uid --db "$TMP/f.db"
    expect_rc 1
    expect_err "$TMP/users.csv:1:1: key column 'uid' not found in header"
    expect_no_file "$TMP/f.db"
}

# The reader's own errors come through as they are (the CSV is read by the fuzzed reader).
test_features_load_malformed_csv() {
    run "$PLUMB" features load "$DATA/unterminated_quote.csv" --key a --db "$TMP/f.db"
    expect_rc 1
    expect_err "$DATA/unterminated_quote.csv:3:3: unterminated quoted field"
    expect_no_file "$TMP/f.db"
}

# A database that cannot be written (here: not a SQLite file) is an error and is left untouched.
test_features_load_bad_database() {
    write_users
    echo "not a database" >"$TMP/f.db"
    run "$PLUMB" features load "$TMP/users.csv" --key user_id --db "$TMP/f.db"
    expect_rc 1
    expect_err "plumb: cannot use feature database '$TMP/f.db': file is not a database"
    [ "$(cat "$TMP/f.db")" = "not a database" ] || fail "the file changed"
}

test_features_usage_errors() {
    write_users
    run "$PLUMB" features load "$TMP/users.csv" --db "$TMP/f.db"
    expect_rc 2
    expect_err "$(printf "plumb features: --key is required\nsee 'plumb features --help'")"
    run "$PLUMB" features unload "$TMP/users.csv" --key user_id --db "$TMP/f.db"
    expect_rc 2
    expect_err "$(printf "plumb features: unknown subcommand 'unload' (expected load)\nsee 'plumb features --help'")"
    run "$PLUMB" features load "$TMP/users.csv" --key user_id --db "$TMP/users.csv"
    expect_rc 2
    expect_no_file "$TMP/f.db"
    [ -s "$TMP/users.csv" ] || fail "the input was destroyed"
    run "$PLUMB" features --help
    expect_rc 0
    expect_out_has "--key COL"
    expect_out_has "(default: features)"
}

"$@"
