#!/usr/bin/env bash
# test_outputs.sh -- where commands write: special files written straight (never replaced by a regular file),
# links followed to their target, names near NAME_MAX, outputs that are inputs refused before any work (exit 2),
# a report's JSON that would replace a foreign file, nothing left behind on failure; and a property test over
# random pairs of a command and an output (the same path as an input, a folder, a FIFO, /dev/null, a read-only
# folder, a 250-byte name, a link to an input): the command succeeds with every input byte-identical, or fails
# with a clear message and leaves the folder as it was.
source "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"

# setup: a small data file, a model, a schema and a run record in $W
setup() {
    W="$TMP/w"
    mkdir -p "$W"
    head -201 "$CREDIT" >"$W/data.csv"
    "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -t 1 -o "$W/m.plumb" \
        --report "$W/r.html" >/dev/null || fail "setup: train"
    "$PLUMB" inspect "$W/data.csv" --write-schema "$W/s.json" >/dev/null 2>&1 || fail "setup: inspect"
}

# no_temp_files DIR: no temporary file of an atomic write is left in DIR.
no_temp_files() {
    [ -z "$(ls -A "$1" | grep -F '.tmp.' || true)" ] || fail "temporary file left in $1: $(ls -A "$1")"
}

# refused MESSAGE CMD ARGS...: a usage error (exit 2) saying MESSAGE, with every file of $W unchanged
refused() {
    local message=$1 before
    shift
    before=$(cd "$W" && find . -type f -exec sha1sum {} + | sort)
    run "$@"
    expect_rc 2
    expect_err_has "$message"
    [ "$(cd "$W" && find . -type f -exec sha1sum {} + | sort)" = "$before" ] || fail "files in $W changed"
}

test_output_that_is_an_input_is_refused() {
    setup
    refused "plumb train: output '$W/data.csv' is the input '$W/data.csv': writing it would destroy the input" \
        "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -o "$W/data.csv"
    refused "plumb predict: output '$W/data.csv' is the input '$W/data.csv'" \
        "$PLUMB" predict "$W/m.plumb" "$W/data.csv" -o "$W/data.csv"
    refused "plumb predict: output '$W/m.plumb' is the input '$W/m.plumb'" \
        "$PLUMB" predict "$W/m.plumb" "$W/data.csv" -o "$W/m.plumb"
    refused "plumb cv: output '$W/./data.csv' is the input '$W/data.csv'" \
        "$PLUMB" cv "$W/data.csv" --target Status -q --folds 2 --num-iterations 2 --oof "$W/./data.csv"
    refused "plumb report: output '$W/r.json' is the input '$W/r.json'" "$PLUMB" report "$W/r.json" -o "$W/r.json"
    refused "plumb train: outputs '$W/x.plumb' and '$W/x.plumb' are the same file" \
        "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -o "$W/x.plumb" --report "$W/x.plumb"
    refused "plumb inspect: output '$W/s.json' is the input '$W/s.json'" \
        "$PLUMB" inspect "$W/data.csv" --schema "$W/s.json" --write-schema "$W/s.json"
    refused "plumb synth: outputs '$W/t.csv' and '$W/t.csv' are the same file" \
        "$PLUMB" synth credit -n 50 -o "$W/t.csv" --truth "$W/t.csv"
    # through a link, and a hard link: the same file by another name
    ln -s data.csv "$W/link.csv"
    ln "$W/data.csv" "$W/hard.csv"
    refused "plumb train: output '$W/link.csv' is the input '$W/data.csv'" \
        "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -o "$W/link.csv"
    refused "plumb predict: output '$W/hard.csv' is the input '$W/data.csv'" \
        "$PLUMB" predict "$W/m.plumb" "$W/data.csv" -o "$W/hard.csv"
    mkdir "$W/src"
    printf '# Hi\n' >"$W/src/a.md"
    refused "plumb site: output folder '$W/src/.' is the input '$W/src'" "$PLUMB" site "$W/src" -o "$W/src/."
}

# --report X.html writes X.json: never over the --schema the command reads, nor over a file plumb did not write
test_report_json_never_replaces_a_foreign_file() {
    setup
    cp "$W/s.json" "$W/x.json"
    refused "plumb train: output '$W/x.json' is the input '$W/x.json'" \
        "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -o "$W/x.plumb" --schema "$W/x.json" \
        --report "$W/x.html"
    printf '{"mine": 1}\n' >"$W/y.json"
    refused "plumb train: '$W/y.json' exists and is not a plumb run record" \
        "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -o "$W/x.plumb" --report "$W/y.html"
    refused "plumb report: '$W/y.json' exists and is not a plumb run record" "$PLUMB" report "$W/r.json" -o "$W/y.html"
    # a record plumb wrote is replaced
    run "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -o "$W/x.plumb" --report "$W/r.html"
    expect_rc 0
    [ -s "$W/x.plumb" ] || fail "no model"
}

# a FIFO and a link are written through, never replaced by a regular file; /dev/null stays a device
test_special_files_and_links_are_written_through() {
    setup
    mkfifo "$W/fifo"
    cat "$W/fifo" >"$TMP/from_fifo" &
    local reader=$!
    run "$PLUMB" predict "$W/m.plumb" "$W/data.csv" -o "$W/fifo"
    expect_rc 0
    wait "$reader"
    [ -p "$W/fifo" ] || fail "the FIFO was replaced"
    [ "$(wc -l <"$TMP/from_fifo")" = 201 ] || fail "the predictions did not go through the FIFO"
    ln -s target.csv "$W/out_link.csv"
    run "$PLUMB" predict "$W/m.plumb" "$W/data.csv" -o "$W/out_link.csv"
    expect_rc 0
    [ -L "$W/out_link.csv" ] || fail "the link was replaced"
    cmp -s "$W/target.csv" "$TMP/from_fifo" || fail "the link's target does not hold the predictions"
    run "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -o /dev/null
    expect_rc 0
    [ -c /dev/null ] || fail "/dev/null is no longer a device"
    no_temp_files "$W"
}

# a name of 250 bytes (the limit is 255): the temporary name used to pass the limit
test_long_output_name() {
    setup
    local name
    name="$W/$(printf 'n%.0s' $(seq 246)).csv"
    run "$PLUMB" predict "$W/m.plumb" "$W/data.csv" -o "$name"
    expect_rc 0
    [ -s "$name" ] || fail "no output"
    no_temp_files "$W"
    run "$PLUMB" predict "$W/m.plumb" "$W/data.csv" -o "$W/$(printf 'n%.0s' $(seq 256))"
    expect_rc 2
    expect_err_has "the name is longer than 255 bytes"
}

# output folder problems are found before training, not after
test_output_folder_checked_before_work() {
    setup
    refused "plumb train: cannot write output '$W/nope/m.plumb': folder '$W/nope' does not exist" \
        "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -o "$W/nope/m.plumb"
    refused "plumb train: output '$W' is a folder, not a file" \
        "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -o "$W"
    refused "plumb demo: output folder '$W/data.csv' is a file, not a folder" "$PLUMB" demo credit -o "$W/data.csv"
    if [ "$(id -u)" != 0 ]; then
        mkdir "$W/ro" && chmod 555 "$W/ro"
        refused "plumb train: cannot write output '$W/ro/m.plumb': folder '$W/ro' is not writable" \
            "$PLUMB" train "$W/data.csv" --target Status -q --num-iterations 2 -o "$W/ro/m.plumb"
        chmod 755 "$W/ro"
    fi
}

# a multiclass train --report fails (reports cover binary and regression): no model is left behind
test_failed_report_leaves_no_model() {
    setup
    local i
    {
        echo "x,y"
        for i in $(seq 1 90); do echo "$i,c$((i % 3))"; done
    } >"$W/three.csv"
    run "$PLUMB" train "$W/three.csv" --target y -q --num-iterations 2 -o "$W/mc.plumb" --report "$W/mc.html"
    expect_rc 1
    expect_err "plumb: reports cover binary and regression models"
    expect_no_file "$W/mc.plumb"
    expect_no_file "$W/mc.html"
    expect_no_file "$W/mc.json"
}

# a site whose writing fails half-way (here a file size limit stands in for a full disk) leaves no partial folder,
# and an existing output folder as it was; a site that is written keeps the other files of an existing folder
test_site_failure_leaves_no_partial_folder() {
    setup
    mkdir "$W/src"
    printf '# Hi\n' >"$W/src/a.md"
    cp "$W/r.html" "$W/r.json" "$W/src/"
    run bash -c "trap '' XFSZ; ulimit -f 8; '$PLUMB' site '$W/src' -o '$W/site'"
    expect_rc 1
    expect_err_has "File too large"
    expect_no_file "$W/site"
    [ -z "$(ls "$W" | grep -F site.tmp || true)" ] || fail "temporary folder left behind"
    mkdir "$W/old"
    printf 'keep\n' >"$W/old/mine.txt"
    run bash -c "trap '' XFSZ; ulimit -f 8; '$PLUMB' site '$W/src' -o '$W/old'"
    expect_rc 1
    [ "$(ls -A "$W/old")" = mine.txt ] || fail "the existing folder changed: $(ls -A "$W/old")"
    run "$PLUMB" site "$W/src" -o "$W/old"
    expect_rc 0
    [ -s "$W/old/index.html" ] && [ -s "$W/old/a.html" ] && [ -s "$W/old/mine.txt" ] || fail "site not merged"
    run "$PLUMB" site "$W/src" -o "$W/old/"
    expect_rc 0
    [ -z "$(ls "$W" | grep -F .tmp. || true)" ] || fail "temporary folder left behind"
}

# ---- property test ---------------------------------------------------------------------------------------------

# snapshot: every name under $W with the checksum of each regular file (a FIFO's contents are not read)
snapshot() { (cd "$W" && find . -printf '%p %y\n' | sort && find . -type f -exec sha1sum {} + | sort); }

test_outputs_property() {
    setup
    mkdir "$W/dir" "$W/ro" "$W/src"
    printf '# Hi\n' >"$W/src/a.md"
    chmod 555 "$W/ro"
    mkfifo "$W/fifo"
    ln -s data.csv "$W/link.csv"
    mkdir "$TMP/orig"
    mkdir "$TMP/orig/src"
    cp "$W/data.csv" "$W/m.plumb" "$W/s.json" "$W/r.json" "$TMP/orig/"
    cp "$W/src/a.md" "$TMP/orig/src/"
    local long
    long=$(printf 'L%.0s' $(seq 250))
    # "INPUTS|COMMAND": the files of $W the command reads, and the command with OUT for the output
    local commands=(
        "data.csv|train $W/data.csv --target Status -q --num-iterations 2 -t 1 -o OUT"
        "data.csv|train $W/data.csv --target Status -q --num-iterations 2 -t 1 -o $W/fresh.plumb --report OUT"
        "data.csv m.plumb|predict $W/m.plumb $W/data.csv -o OUT"
        "data.csv|cv $W/data.csv --target Status -q --folds 2 --num-iterations 2 -t 1 --oof OUT"
        "data.csv s.json|inspect $W/data.csv --schema $W/s.json --write-schema OUT"
        "r.json|report $W/r.json -o OUT"
        "|synth credit -n 50 -o OUT"
        "src/a.md|site $W/src -o OUT"
    )
    local outputs=("$W/data.csv" "$W/m.plumb" "$W/s.json" "$W/r.json" "$W/link.csv" "$W/dir" "$W/fifo" /dev/null
        "$W/ro/out" "$W/$long" "$W/new" "$W/dir/")
    RANDOM=${PLUMB_TEST_SEED:-12345} # deterministic; set the variable to explore other draws
    local i
    for i in $(seq 1 60); do
        local entry=${commands[RANDOM % ${#commands[@]}]} target=${outputs[RANDOM % ${#outputs[@]}]}
        local inputs=${entry%%|*} cmd=${entry#*|}
        local line=${cmd//OUT/$target} before reader="" f
        rm -rf "$W/fresh.plumb" "$W/new" "$W/new.json" "$W/$long" "$W/$long.json" "$W/dir/"* "$W/dir/.json"
        rm -rf "$W/ro/out" "$W/ro/out.json"
        before=$(snapshot)
        if [ "$target" = "$W/fifo" ]; then
            cat "$W/fifo" >/dev/null &
            reader=$!
        fi
        # shellcheck disable=SC2086
        run timeout 30 "$PLUMB" $line
        if [ -n "$reader" ]; then
            kill "$reader" 2>/dev/null
            wait "$reader" 2>/dev/null
        fi
        [ "$rc" -lt 124 ] || fail "[$i] plumb $line: crashed or hung (exit $rc)"
        for f in $inputs; do
            cmp -s "$W/$f" "$TMP/orig/$f" || fail "[$i] plumb $line: input $f changed"
        done
        [ -L "$W/link.csv" ] && [ -p "$W/fifo" ] && [ -d "$W/dir" ] && [ -c /dev/null ] ||
            fail "[$i] plumb $line: a special file was replaced"
        no_temp_files "$W"
        if [ "$rc" -ne 0 ]; then
            [ "$rc" -le 2 ] || fail "[$i] plumb $line: exit status $rc"
            # one clear line first: "plumb CMD: ..." or "file: ..."
            printf '%s\n' "$err" | head -1 | grep -qE '^(plumb( [a-z]+)?: |/.*: |\S+: )' ||
                fail "[$i] plumb $line: unclear message"
            [ "$(snapshot)" = "$before" ] || fail "[$i] plumb $line: failed and left files behind"
        fi
        # outputs may replace files other commands read: restore them for the next round
        cp -r "$TMP/orig/"* "$W/" || fail "cannot restore the inputs"
    done
    chmod 755 "$W/ro"
}

"$@"
