/* check_split.c -- check 4 with a test set: duplicates and ids across the split, time order, target shift. */
#include "audit.h"

#include "../data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Check 4 with a test set: duplicates and ids across the split, time order, target shift. */
plumb_status plumb__audit_split_hygiene(plumb__audit_ctx *c, const plumb_frame *test, plumb_error *err) {
    plumb_audit *a = c->a;
    const int64_t nt = plumb_frame_n_rows(test), n = c->n;
    const int64_t target = plumb__find_role(test, PLUMB_ROLE_TARGET);
    /* rows are compared by a hash of their feature values (by name, as text-free numbers and category names) */
    uint64_t *h = malloc((size_t)(n + 1) * sizeof *h), *ht = malloc((size_t)(nt + 1) * sizeof *ht);
    if (!h || !ht) {
        free(h), free(ht);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    for (int side = 0; side < 2; side++) {
        const plumb_frame *f = side ? test : c->f;
        uint64_t *out = side ? ht : h;
        const int64_t rows = side ? nt : n;
        for (int64_t i = 0; i < rows; i++)
            out[i] = 1469598103934665603u;
        for (int64_t k = 0; k < a->n_feats; k++) {
            if (!a->feats[k].is_feature)
                continue;
            const int64_t col = plumb_frame_find(f, a->feats[k].name);
            if (col < 0)
                continue;
            const int32_t *codes = plumb_frame_codes(f, col);
            plumb_column_info ci;
            plumb_schema_column(plumb_frame_schema(f), col, &ci);
            for (int64_t i = 0; i < rows; i++) {
                uint64_t v = 0;
                if (codes) {
                    const char *s = codes[i] >= 0 && ci.categories ? ci.categories[codes[i]] : "";
                    for (; *s; s++)
                        v = (v ^ (uint8_t)*s) * 1099511628211u;
                } else {
                    const double x = plumb__number_at(f, col, i);
                    memcpy(&v, &x, sizeof v);
                    if (isnan(x))
                        v = 0x7ff8000000000000u;
                }
                out[i] = (out[i] ^ v) * 1099511628211u;
                out[i] ^= out[i] >> 29;
            }
        }
    }
    qsort(h, (size_t)n, sizeof *h, plumb__cmp_u64);
    int64_t dup = 0;
    for (int64_t i = 0; i < nt; i++)
        dup += bsearch(&ht[i], h, (size_t)n, sizeof *h, plumb__cmp_u64) != NULL;
    free(h);
    free(ht);
    bool ok = true;
    if (dup > 0)
        ok = plumb__audit_add(
            a, dup * 20 >= nt ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "duplicates", NULL,
            (double)dup / (double)nt, 0,
            plumb__audit_format("%lld test rows also appear in the training data", (long long)dup),
            plumb__audit_format("%lld of %lld test rows (%.1f%%) have exactly the feature values of a training row",
                                (long long)dup, (long long)nt, 100.0 * (double)dup / (double)nt),
            plumb__audit_format(
                "deduplicate before splitting, or split by client so the same case cannot sit on both sides"));
    /* id overlap */
    const int64_t id = plumb__find_role(c->f, PLUMB_ROLE_ID);
    if (ok && id >= 0) {
        plumb_column_info ci;
        plumb_schema_column(plumb_frame_schema(c->f), id, &ci);
        const int64_t tid = plumb_frame_find(test, ci.name);
        const int32_t *a_codes = plumb_frame_codes(c->f, id), *t_codes = tid >= 0 ? plumb_frame_codes(test, tid) : NULL;
        if (a_codes && t_codes) {
            plumb_column_info ti;
            plumb_schema_column(plumb_frame_schema(test), tid, &ti);
            int64_t overlap = 0;
            /* only the ids the training rows hold: a frame taken from a larger one keeps its whole dictionary */
            uint8_t *used = calloc((size_t)ci.n_categories + 1, 1);
            if (!used)
                return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            for (int64_t i = 0; i < n; i++)
                if (a_codes[i] >= 0)
                    used[a_codes[i]] = 1;
            for (int64_t i = 0; i < nt; i++) {
                const char *v = t_codes[i] >= 0 && ti.categories ? ti.categories[t_codes[i]] : NULL;
                for (int64_t k = 0; v && k < ci.n_categories; k++)
                    if (used[k] && strcmp(v, ci.categories[k]) == 0) {
                        overlap++;
                        break;
                    }
            }
            free(used);
            if (overlap > 0)
                ok = plumb__audit_add(
                    a, PLUMB_SEVERITY_CRITICAL, "id_overlap", ci.name, (double)overlap / (double)nt, 0,
                    plumb__audit_format("%lld test rows share an id with training rows", (long long)overlap),
                    plumb__audit_format("'%s' values of %lld of %lld test rows also occur in the training data",
                                        ci.name, (long long)overlap, (long long)nt),
                    plumb__audit_format("split by '%s' (group split) so no client is scored on data it was trained on",
                                        ci.name));
        }
    }
    /* time order */
    const int64_t tt = c->time >= 0 ? plumb_frame_find(test, plumb_frame_schema(c->f)->cols[c->time].name) : -1;
    if (ok && tt >= 0) {
        double newest = -INFINITY;
        for (int64_t i = 0; i < n; i++)
            newest = fmax(newest, c->days[i]);
        int64_t older = 0;
        for (int64_t i = 0; i < nt; i++)
            older += plumb__row_days(test, tt, i) < newest;
        c->test_later = older == 0;
        if (older > 0)
            ok = plumb__audit_add(
                a, older * 10 >= nt ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "test_older", NULL,
                (double)older / (double)nt, 0,
                plumb__audit_format("%lld test rows are older than the newest training row", (long long)older),
                plumb__audit_format(
                    "%.1f%% of the test rows happened before the training data ends: the test set does not "
                    "measure performance on the future",
                    100.0 * (double)older / (double)nt),
                plumb__audit_format("split by time: train on the past, test on the period after it"));
    }
    /* target shift */
    if (ok && target >= 0 && a->binary) {
        double *yt = malloc((size_t)(nt + 1) * sizeof *yt);
        bool bin;
        if (!yt || plumb__audit_target(test, target, c->positive, yt, &bin, NULL) != PLUMB_OK) {
            free(yt);
            return PLUMB_OK;
        }
        double rt = 0;
        for (int64_t i = 0; i < nt; i++)
            rt += yt[i] / (double)nt;
        free(yt);
        const double p = a->positive_rate, se = sqrt(p * (1 - p) * (1.0 / (double)n + 1.0 / (double)nt));
        const double z = se > 0 ? fabs(rt - p) / se : 0;
        if (z >= 4 && fabs(rt - p) >= 0.02)
            ok = plumb__audit_add(
                a, fabs(rt - p) >= 0.5 * p ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "target_shift",
                a->target, rt - p, 0,
                plumb__audit_format("the positive rate moves from %.1f%% in training to %.1f%% in test", 100 * p,
                                    100 * rt),
                plumb__audit_format(
                    "a difference of %.1f points (z = %.1f): the test period differs, or its labels are not "
                    "mature yet",
                    100 * (rt - p), z),
                plumb__audit_format(
                    "check label maturity and the population of the test period before comparing scores"));
    }
    return ok ? PLUMB_OK : plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}
