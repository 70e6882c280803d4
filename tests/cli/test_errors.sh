#!/usr/bin/env bash
# test_errors.sh -- `plumb inspect` on malformed inputs (tests/data: one file per reader error) and its contract
# around them: exit status 1 and exactly one "file:line:column: message" line on stderr, nothing on stdout; exit
# status 2 for usage errors; --write-schema that never leaves a partial file; --json, standard input and --help.
source "$(dirname "$0")/lib.sh"

# inspect_fails FILE MESSAGE [OPTIONS...]: inspecting FILE exits 1 with exactly MESSAGE on stderr, nothing on stdout.
inspect_fails() {
    local file=$1 message=$2
    shift 2
    run "$PLUMB" inspect "$@" "$file"
    expect_rc 1
    expect_err "$message"
    [ -z "$out" ] || fail "stdout is not empty"
}

# usage_fails MESSAGE ARGS...: `plumb inspect ARGS` is a usage error: exit 2, MESSAGE and the pointer to --help.
usage_fails() {
    local message=$1
    shift
    run "$PLUMB" inspect "$@"
    expect_rc 2
    expect_err "$(printf "plumb inspect: %s\nsee 'plumb inspect --help'" "$message")"
    [ -z "$out" ] || fail "stdout is not empty"
}

# no_temp_files DIR: no temporary file of an atomic write is left in DIR.
no_temp_files() {
    [ -z "$(ls -A "$1" | grep -F '.tmp.' || true)" ] || fail "temporary file left in $1: $(ls -A "$1")"
}

# ---- malformed CSV -------------------------------------------------------------------------------------------

test_ragged_row_too_many_fields() {
    inspect_fails "$DATA/ragged.csv" "$DATA/ragged.csv:3:7: expected 3 fields, found 4"
}

test_ragged_row_too_few_fields() {
    inspect_fails "$DATA/ragged_short.csv" "$DATA/ragged_short.csv:3:4: expected 3 fields, found 2"
}

test_unterminated_quote() {
    inspect_fails "$DATA/unterminated_quote.csv" "$DATA/unterminated_quote.csv:3:3: unterminated quoted field"
}

test_stray_quote() {
    inspect_fails "$DATA/stray_quote.csv" "$DATA/stray_quote.csv:2:5: unexpected quote in unquoted field"
}

test_text_after_closing_quote() {
    inspect_fails "$DATA/after_quote.csv" "$DATA/after_quote.csv:2:7: unexpected character after closing quote"
}

test_empty_file() {
    inspect_fails "$DATA/empty.csv" "$DATA/empty.csv:1:1: empty file"
}

test_header_only() {
    inspect_fails "$DATA/header_only.csv" "$DATA/header_only.csv:2:1: no data rows after the header"
}

test_duplicate_column() {
    inspect_fails "$DATA/duplicate_column.csv" "$DATA/duplicate_column.csv:1:5: duplicate column name 'x'"
}

test_empty_column_name() {
    inspect_fails "$DATA/empty_column_name.csv" "$DATA/empty_column_name.csv:1:3: empty column name"
}

test_nul_byte_in_value() {
    printf 'a,b\n1,x\n2,y\0z\n' >"$TMP/nul.csv"
    inspect_fails "$TMP/nul.csv" "$TMP/nul.csv:3:4: NUL byte in a value of column 'b'"
    printf 'c,y\na,1\nb\0,0\n' >"$TMP/nul2.csv"
    run "$PLUMB" train "$TMP/nul2.csv" --target y -q -o "$TMP/n.plumb"
    expect_rc 1
    expect_err "$TMP/nul2.csv:3:2: NUL byte in a value of column 'c'"
    expect_no_file "$TMP/n.plumb"
}

test_cr_only_line_breaks() {
    printf 'a,b\r1,2\r3,4\r' >"$TMP/cr.csv"
    inspect_fails "$TMP/cr.csv" "$TMP/cr.csv:1:4: lines end with a carriage return alone (CR, classic Mac OS): convert the line breaks to LF or CRLF"
}

# numpy and pandas spellings of a missing value are missing: one lowercase 'nan' among 3000 numbers used to make
# the column text, silently dropped by train
test_pandas_missing_values_are_missing() {
    {
        echo "x,y"
        for i in $(seq 1 300); do echo "$i.5,$((i % 2))"; done
        printf '%s,1\n' nan -nan NULL None '#N/A' '<NA>' 'n/a' '1.#IND'
    } >"$TMP/nan.csv"
    run "$PLUMB" inspect --json "$TMP/nan.csv"
    expect_rc 0
    expect_out_line '"type": "numeric"'
    expect_out_line '"n_missing": 8,'
    run "$PLUMB" train "$TMP/nan.csv" --target y --num-iterations 2 -o "$TMP/m.plumb"
    expect_rc 0
    [ -z "$err" ] || fail "stderr is not empty"
    expect_out_has "1 features"
}

# a mostly numeric column that one value turns into text: inspect and train say which value and where
test_fallback_to_text_is_explained() {
    {
        echo "x,d,t,y"
        for i in $(seq 1 300); do echo "$((i % 50)).5,2024-01-02,id$i,$((i % 2))"; done
        echo "n.a.,2024-01-03,z,1"
    } >"$TMP/na.csv"
    run "$PLUMB" inspect "$TMP/na.csv"
    expect_rc 0
    expect_out_has "note: column 'x' is read as categorical: $TMP/na.csv:302:1: 'n.a.' is not a number (50 of 51 distinct values are); if that value means missing, add it to --missing"
    [ "$(grep -c note: "$TMP/out")" = 1 ] || fail "one note expected"
    run "$PLUMB" inspect --json "$TMP/na.csv"
    expect_out_has "\"note\": \"$TMP/na.csv:302:1: 'n.a.' is not a number (50 of 51 distinct values are)\""
    run "$PLUMB" train "$TMP/na.csv" --target y --num-iterations 2 -o "$TMP/m.plumb"
    expect_rc 0
    expect_err "$(printf "%s\n%s\n%s" \
        "plumb: column 'x' is used as categories, not numbers: $TMP/na.csv:302:1: 'n.a.' is not a number (50 of 51 distinct values are)" \
        "plumb: column 'd' is not used: models read numeric, bool and categorical features, not datetime" \
        "plumb: column 't' is not used: it is text with too many distinct values")"
    run "$PLUMB" train "$TMP/na.csv" --target y --num-iterations 2 -o "$TMP/m.plumb" --max-categories 10 --categorical d
    expect_rc 0
    expect_err_has "plumb: column 'x' is not used: it reads as text: $TMP/na.csv:302:1: 'n.a.' is not a number"
    run "$PLUMB" train "$TMP/na.csv" --target y --num-iterations 2 -o "$TMP/m.plumb" -q
    [ -z "$err" ] || fail "stderr is not empty with -q"
    run "$PLUMB" train "$TMP/na.csv" --target y --num-iterations 2 -o "$TMP/m.plumb" --missing n.a. -q
    expect_out_has "(binary, 1 features)"
}

test_bad_utf8_header() {
    inspect_fails "$DATA/bad_utf8_header.csv" "$DATA/bad_utf8_header.csv:1:9: invalid UTF-8 in header"
}

test_bad_utf8_value() {
    inspect_fails "$DATA/bad_utf8_value.csv" "$DATA/bad_utf8_value.csv:3:3: invalid UTF-8 in column 'city'"
}

# columns are counted in characters (José is 4), and a byte-order mark is not one
test_columns_count_characters() {
    inspect_fails "$DATA/utf8_ragged.csv" "$DATA/utf8_ragged.csv:2:13: expected 2 fields, found 3"
    inspect_fails "$DATA/bom_duplicate.csv" "$DATA/bom_duplicate.csv:1:9: duplicate column name 'id'"
}

# ---- values that do not fit a declared type ------------------------------------------------------------------

test_bad_number_in_declared_column() {
    inspect_fails "$DATA/bad_number.csv" "$DATA/bad_number.csv:3:5: bad number 'abc' in column 'age'" \
        --schema "$DATA/bad_number_schema.json"
    # without the schema the column is just text
    run "$PLUMB" inspect "$DATA/bad_number.csv"
    expect_rc 0
    expect_out_line '^ +2  age +categorical +feature '
}

test_bad_datetime_in_declared_column() {
    inspect_fails "$DATA/bad_datetime.csv" "$DATA/bad_datetime.csv:3:3: bad datetime '2024-02-30' in column 'day'" \
        --schema "$DATA/bad_datetime_schema.json"
}

test_bad_boolean_in_declared_column() {
    inspect_fails "$DATA/bad_bool.csv" "$DATA/bad_bool.csv:3:3: bad boolean 'yes' in column 'ok'" \
        --schema "$DATA/bad_bool_schema.json"
}

test_bad_number_in_weight_column() {
    inspect_fails "$DATA/bad_number.csv" "$DATA/bad_number.csv:3:5: bad number 'abc' in column 'age'" \
        --weight-col age
}

# ---- declared columns, schema files, files that cannot be read -----------------------------------------------

test_missing_target_column() {
    inspect_fails "$DATA/good.csv" "$DATA/good.csv:1:1: target column 'y' not found in header" --target y
    inspect_fails "$DATA/good.csv" "$DATA/good.csv:1:1: categorical column 'zip' not found in header" \
        --categorical city,zip
}

test_bad_schema_json() {
    inspect_fails "$DATA/good.csv" "$DATA/bad_schema.json:3:15: invalid token near 'x'" \
        --schema "$DATA/bad_schema.json"
}

test_future_schema_format() {
    inspect_fails "$DATA/good.csv" "$DATA/future_schema.json: unsupported schema format 2 (this plumb reads 1)" \
        --schema "$DATA/future_schema.json"
}

test_schema_column_not_in_data() {
    # checked before any row is read, so it comes before the ragged row of line 3
    inspect_fails "$DATA/ragged.csv" "$DATA/ragged.csv:1:1: schema column 'age' not found in header" \
        --schema "$DATA/bad_number_schema.json"
}

test_missing_file() {
    cd "$TMP" || fail "cd"
    run "$PLUMB" inspect nope.csv
    expect_rc 1
    expect_err "plumb: cannot open 'nope.csv': No such file or directory"
    run "$PLUMB" inspect --schema nope.json "$DATA/good.csv"
    expect_rc 1
    expect_err_has "nope.json: cannot read schema 'nope.json': "
}

test_directory_is_not_a_file() {
    run "$PLUMB" inspect "$TMP"
    expect_rc 1
    expect_err "plumb: cannot read '$TMP': Is a directory"
}

# ---- --write-schema ------------------------------------------------------------------------------------------

test_write_schema_on_bad_file_writes_nothing() {
    inspect_fails "$DATA/ragged.csv" "$DATA/ragged.csv:3:7: expected 3 fields, found 4" --write-schema "$TMP/out.json"
    expect_no_file "$TMP/out.json"
    no_temp_files "$TMP"
}

test_write_schema_failure_leaves_no_temporary_file() {
    # the target is a directory, or in a missing one: refused before reading, nothing written
    mkdir "$TMP/out.json"
    usage_fails "output '$TMP/out.json' is a folder, not a file" --write-schema "$TMP/out.json" "$DATA/good.csv"
    [ -d "$TMP/out.json" ] && [ -z "$(ls -A "$TMP/out.json")" ] || fail "the directory was changed"
    no_temp_files "$TMP"
    usage_fails "cannot write output '$TMP/missing/out.json': folder '$TMP/missing' does not exist" \
        --write-schema "$TMP/missing/out.json" "$DATA/good.csv"
    expect_no_file "$TMP/missing"
}

test_write_schema_reads_back() {
    run "$PLUMB" inspect --id-col id --write-schema "$TMP/s.json" "$DATA/good.csv"
    expect_rc 0
    expect_err "schema written to '$TMP/s.json'"
    no_temp_files "$TMP"
    local first
    first=$(tail -n +2 "$TMP/out")
    /usr/bin/python3 - "$TMP/s.json" <<'EOF' || fail "schema file content"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["plumb_schema"] == 1, s
want = [("id", "string", "id"), ("age", "numeric", "feature"), ("city", "categorical", "feature"),
        ("joined", "datetime", "feature"), ("member", "bool", "feature"), ("income", "numeric", "feature"),
        ("note", "categorical", "feature")]
got = [(c["name"], c["type"], c["role"]) for c in s["columns"]]
assert got == want, got
assert all(set(c) == {"name", "type", "role"} for c in s["columns"]), s["columns"]
EOF
    # the schema declares every type and the id role: the same table without --id-col
    run "$PLUMB" inspect --schema "$TMP/s.json" "$DATA/good.csv"
    expect_rc 0
    [ "$(tail -n +2 "$TMP/out")" = "$first" ] || fail "the table differs with the written schema: $first"
    expect_out_line '^ +1  id +string +id '
    # and declared types are strict: a value that does not fit is an error
    printf 'id,age,city,joined,member,income,note\nb1,old,Rome,2021-01-01,true,1,x\n' >"$TMP/other.csv"
    inspect_fails "$TMP/other.csv" "$TMP/other.csv:2:4: bad number 'old' in column 'age'" --schema "$TMP/s.json"
}

# ---- --json, standard input, options --------------------------------------------------------------------------

test_json_output() {
    run "$PLUMB" inspect --json --id-col id "$DATA/good.csv"
    expect_rc 0
    [ -z "$err" ] || fail "stderr is not empty"
    /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' <"$TMP/out" || fail "not JSON"
    /usr/bin/python3 - "$TMP/out" "$DATA/good.csv" <<'EOF' || fail "JSON content"
import json, math, sys
d = json.load(open(sys.argv[1]))
assert d["file"] == sys.argv[2], d["file"]
assert (d["n_rows"], d["n_columns"]) == (4, 7), d
assert isinstance(d["read_seconds"], float) and d["read_seconds"] >= 0
cols = {c["name"]: c for c in d["columns"]}
assert [c["name"] for c in d["columns"]] == ["id", "age", "city", "joined", "member", "income", "note"]
for c in d["columns"]:
    for key in ("name", "type", "role", "n_missing", "missing_share", "n_distinct"):
        assert key in c, (c["name"], key)
    assert c["missing_share"] == c["n_missing"] / 4, c
def row(name, *keys):
    return tuple(cols[name][k] for k in keys)
assert row("id", "type", "role", "n_missing", "n_distinct") == ("string", "id", 0, 4)
age = cols["age"]
assert row("age", "type", "n_missing", "n_distinct", "min", "max") == ("numeric", 1, 3, 28, 51), age
ages = [34, 51, 28]
mean = sum(ages) / 3
std = math.sqrt(sum((a - mean) ** 2 for a in ages) / 2)
assert abs(age["mean"] - mean) < 1e-12 and abs(age["std"] - std) < 1e-12, age
assert row("city", "type", "n_distinct") == ("categorical", 3)
assert cols["city"]["top"] == [{"value": "Paris", "count": 2}, {"value": "Lyon", "count": 1},
                               {"value": "Nice", "count": 1}], cols["city"]["top"]
assert row("joined", "type", "n_missing", "min", "max") == ("datetime", 1, "2020-11-30", "2022-01-15T08:30:00Z")
assert row("member", "type", "n_missing") == ("bool", 1)
assert cols["member"]["top"] == [{"value": "true", "count": 2}, {"value": "false", "count": 1}]
assert row("income", "n_missing", "min", "max") == (1, 48000, 61000)
assert cols["note"]["top"][1] == {"value": "multi\nline", "count": 1}, cols["note"]["top"]
assert cols["note"]["top"][0]["value"] == 'likes "quotes", commas'
EOF
}

test_json_all_missing_column_is_null() {
    printf 'a,b\n1,\n2,NA\n' >"$TMP/m.csv"
    run "$PLUMB" inspect --json "$TMP/m.csv"
    expect_rc 0
    /usr/bin/python3 -c '
import json, sys
b = json.load(sys.stdin)["columns"][1]
assert b["name"] == "b" and b["type"] == "numeric" and b["n_missing"] == 2 and b["missing_share"] == 1.0, b
assert b["min"] is None and b["mean"] is None and b["max"] is None and b["std"] is None, b
' <"$TMP/out" || fail "JSON nulls"
}

test_stdin() {
    run "$PLUMB" inspect - <"$DATA/good.csv"
    expect_rc 0
    expect_out_line '^<stdin>: 4 rows, 7 columns \(read in [0-9.]+ s\)$'
    run "$PLUMB" inspect --json - <"$DATA/good.csv"
    expect_rc 0
    /usr/bin/python3 -c 'import json,sys; d = json.load(sys.stdin); assert (d["file"], d["n_rows"]) == ("<stdin>", 4)' \
        <"$TMP/out" || fail "JSON from stdin"
    inspect_fails - "<stdin>:3:7: expected 3 fields, found 4" <"$DATA/ragged.csv"
    inspect_fails - "<stdin>:1:1: empty file" </dev/null
}

# standard input is read into a growing buffer: much more than its first 64 KiB block, the same as the file
test_stdin_larger_than_a_block() {
    { echo "n,word"; seq 1 200000 | sed 's/$/,w/'; } >"$TMP/big.csv"
    run "$PLUMB" inspect "$TMP/big.csv"
    expect_rc 0
    local from_file
    from_file=$(tail -n +2 "$TMP/out")
    run "$PLUMB" inspect - <"$TMP/big.csv"
    expect_rc 0
    expect_out_line '^<stdin>: 200000 rows, 2 columns '
    [ "$(tail -n +2 "$TMP/out")" = "$from_file" ] || fail "stdin and file differ"
    expect_out_line '^ +1  n +numeric +feature +0 \(0.0%\) +200000  min 1  mean [0-9.]+  max 200000$'
}

test_delimiter_and_missing_options() {
    printf 'a\tb\n1\tx,y\n-\t-\n' >"$TMP/t.tsv"
    run "$PLUMB" inspect --json --delimiter tab --missing=-,NA "$TMP/t.tsv"
    expect_rc 0
    /usr/bin/python3 -c '
import json, sys
a, b = json.load(sys.stdin)["columns"]
assert (a["name"], a["type"], a["n_missing"]) == ("a", "numeric", 1), a
assert (b["name"], b["type"], b["n_missing"], b["top"]) == ("b", "categorical", 1, [{"value": "x,y", "count": 1}]), b
' <"$TMP/out" || fail "tab and missing options"
    # with the wrong delimiter the header is one column, "a<TAB>b"
    inspect_fails "$TMP/t.tsv" "$TMP/t.tsv:1:1: categorical column 'a' not found in header" -d ';' --categorical a
}

# ---- usage errors and help -----------------------------------------------------------------------------------

test_usage_errors() {
    usage_fails "missing argument: usage: plumb inspect [options] <data.csv | ->"
    usage_fails "missing argument: usage: plumb inspect [options] <data.csv | ->" --json
    usage_fails "unexpected argument 'b.csv'" a.csv b.csv
    usage_fails "option '--threads' expects an integer of at least 1, got 'x'" --threads x "$DATA/good.csv"
    usage_fails "option '--threads' expects an integer of at least 1, got '0'" -t 0 "$DATA/good.csv"
    usage_fails "option '--threads' expects an integer of at least 1, got '2x'" --threads=2x "$DATA/good.csv"
    usage_fails "option '--threads' needs a value (N)" "$DATA/good.csv" --threads
    usage_fails "option '--max-categories' expects an integer of at least 1, got '0'" --max-categories 0 \
        "$DATA/good.csv"
    usage_fails "option '--delimiter' expects one ASCII character other than a quote or line break, or 'tab'; got ';;'" \
        -d ';;' "$DATA/good.csv"
    usage_fails "option '--delimiter' expects one ASCII character other than a quote or line break, or 'tab'; got '\"'" \
        -d '"' "$DATA/good.csv"
    usage_fails "option '--json' takes no value" --json=yes "$DATA/good.csv"
    # a usage error wins over a missing file: the arguments are checked first
    usage_fails "option '--threads' expects an integer of at least 1, got 'x'" --threads x nope.csv
}

# a huge thread count crashed inside the OpenMP runtime (and 10000 made a tiny run 100 times slower): it is capped
test_threads_capped_at_a_multiple_of_the_cores() {
    local cores cap
    cores=$(getconf _NPROCESSORS_ONLN)
    cap=$((4 * cores))
    run "$PLUMB" inspect "$DATA/good.csv" -t 100000
    expect_rc 0
    expect_err "plumb: --threads 100000 is more than 4 per core: using $cap ($cores cores)"
    run "$PLUMB" train "$DATA/good.csv" --target "$(head -1 "$DATA/good.csv" | cut -d, -f1)" --num-iterations 2 \
        -t 1000000 -o "$TMP/m.plumb"
    expect_err_has "plumb: --threads 1000000 is more than 4 per core: using $cap ($cores cores)"
    [ "$(grep -c 'per core' "$TMP/err")" = 1 ] || fail "the cap is said more than once"
    run "$PLUMB" inspect "$DATA/good.csv" -t "$cap"
    expect_rc 0
    [ -z "$err" ] || fail "stderr is not empty at the cap"
}

test_help_lists_every_option() {
    run "$PLUMB" help inspect
    expect_rc 0
    local help=$out
    [ -z "$err" ] || fail "stderr is not empty"
    run "$PLUMB" inspect --help
    expect_rc 0
    [ "$out" = "$help" ] || fail "'plumb inspect --help' differs from 'plumb help inspect'"
    run "$PLUMB" inspect -h "$DATA/good.csv"
    expect_rc 0
    [ "$out" = "$help" ] || fail "'plumb inspect -h' differs from 'plumb help inspect'"
    expect_out_line '^usage: plumb inspect \[options\] <data.csv \| ->$'
    local opt
    for opt in json write-schema target categorical id-col time-col weight-col group-col schema delimiter missing \
        max-categories threads help; do
        expect_out_line "^  (-[a-z], |    )--$opt( [A-Z,]+)? "
    done
    expect_out_line '^  -d, --delimiter CHAR .*\(default: ,\)$'
    expect_out_line '^  -t, --threads N .*\(default: all cores\)$'
    expect_out_has "(default: pandas' list and ?)"
    expect_out_has '(default: 1000)'
    run "$PLUMB" help nope
    expect_rc 2
    expect_err "$(printf "plumb: unknown command 'nope'\nsee 'plumb --help'")"
}

"$@"
