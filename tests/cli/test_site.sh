#!/usr/bin/env bash
# test_site.sh -- plumb site on hostile input: file names that look like URLs, records and HTML that carry script.
. "$(dirname "$0")/lib.sh"

# every href in every page of the site: a relative path of unreserved or percent-encoded bytes, ending in .html
check_links() {
    local bad
    bad=$(grep -rhoE 'href="[^"]*"' "$1" | grep -vE '^href="(reports/)?([A-Za-z0-9._~-]|%[0-9A-F]{2})+\.html"$' || true)
    [ -z "$bad" ] || fail "unsafe links: $bad"
}

# the reproducer of the hardening issue: a Markdown page named javascript:alert(document.domain).md
test_site_page_named_like_a_url() {
    mkdir -p "$TMP/in"
    printf '# Notes\nhi\n' > "$TMP/in/javascript:alert(document.domain).md"
    printf 'x\n' > "$TMP/in/a page?#&\".md"
    run "$PLUMB" site "$TMP/in" -o "$TMP/site"
    expect_rc 0
    grep -rqi 'href="[[:space:]]*javascript:' "$TMP/site" && fail "a javascript: link"
    check_links "$TMP/site"
    grep -qF '<a href="javascript%3Aalert%28document.domain%29.html">Notes</a>' "$TMP/site/index.html" ||
        fail "no encoded link to the page"
    grep -qF '<a href="a%20page%3F%23%26%22.html">a page?#&amp;&quot;</a>' "$TMP/site/index.html" ||
        fail "no encoded link to the page with URL characters"
    # the links lead to the files written
    [ -s "$TMP/site/javascript:alert(document.domain).html" ] || fail "page not written"
    [ -s "$TMP/site/a page?#&\".html" ] || fail "second page not written"
}

# a report whose record carries script in its strings and whose HTML beside it is hostile (written by hand or by an
# older plumb): the site publishes the page rendered from the record, escaped, and a created date is escaped too
test_site_reports_rendered_from_the_record() {
    mkdir -p "$TMP/in"
    cp "$DATA/report/xss_comparison.json" "$TMP/in/x.json"
    printf '<script>alert(1)</script>\n' > "$TMP/in/x.html"
    printf '{"plumb_run": 1, "kind": "eval", "created": "<svg/onload=alert(1)>", "title": "<b>t</b>"}\n' \
        > "$TMP/in/y.json"
    printf 'old\n' > "$TMP/in/y.html"
    run "$PLUMB" site "$TMP/in" -o "$TMP/site"
    expect_rc 0
    grep -rq --include='*.html' '<script\|<svg/\|<b>' "$TMP/site" && fail "markup from a record or an input HTML file was published"
    "$PLUMB" report "$DATA/report/xss_comparison.json" -o "$TMP/x.html" >/dev/null || fail "report"
    cmp -s "$TMP/x.html" "$TMP/site/reports/x.html" || fail "the published report is not the record's page"
    grep -qF '&lt;svg/onlo' "$TMP/site/index.html" || fail "the date is not shown escaped"
    check_links "$TMP/site"
}

# a record that the report renderer refuses stops the site with the record's name
test_site_bad_record() {
    mkdir -p "$TMP/in"
    printf '{"plumb_run": 1, "kind": "eval", "title": 3}\n' > "$TMP/in/r.json"
    printf 'x\n' > "$TMP/in/r.html"
    run "$PLUMB" site "$TMP/in" -o "$TMP/site"
    expect_rc 1
    expect_err_has "$TMP/in/r.json: bad run record: 'title' is not a string"
}

"$@"
