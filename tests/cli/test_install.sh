#!/usr/bin/env bash
# test_install.sh -- `cmake --install` gives a library that other programs build against, with pkg-config and
# with find_package(plumb); the example in examples/consumer is built both ways and run.
source "$(dirname "$0")/lib.sh"

install_to() {
    cmake --install "$BUILD" --prefix "$1" >/dev/null || fail "cmake --install failed"
}

test_install_pkg_config() {
    install_to "$TMP/prefix"
    libdir=$(dirname "$(find "$TMP/prefix" -name plumb.pc)")
    export PKG_CONFIG_PATH="$libdir"
    run cc "$SRC/examples/consumer/column_types.c" $(pkg-config --cflags --libs plumb) -o "$TMP/column_types"
    expect_rc 0
    LD_LIBRARY_PATH="$(dirname "$libdir")" run "$TMP/column_types" "$SRC/examples/credit/credit_data.csv"
    expect_rc 0
    expect_out_has "plumb 0.1.0: 4454 rows"
    expect_out_line "^Income	numeric	feature$"
    # the static library links too
    run cc "$SRC/examples/consumer/column_types.c" $(pkg-config --cflags plumb) "$(dirname "$libdir")/libplumb.a" \
        $(pkg-config --static --libs-only-other --libs-only-l plumb | sed 's/-lplumb//') -o "$TMP/column_types_static"
    expect_rc 0
    run "$TMP/column_types_static" "$SRC/examples/credit/credit_data.csv"
    expect_rc 0
    expect_out_line "^Status	categorical	feature$"
}

test_install_find_package() {
    install_to "$TMP/prefix"
    run cmake -S "$SRC/examples/consumer" -B "$TMP/consumer" -DCMAKE_PREFIX_PATH="$TMP/prefix"
    expect_rc 0
    run cmake --build "$TMP/consumer"
    expect_rc 0
    run "$TMP/consumer/column_types" "$SRC/examples/credit/credit_data.csv"
    expect_rc 0
    expect_out_line "^Age	numeric	feature$"
}

"$@"
