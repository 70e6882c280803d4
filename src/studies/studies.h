/* studies.h -- the case studies: whole pipelines on data with planted problems, one file each, listed once in the
 * table of studies.c.
 *
 * Every study has the same outline (src/studies/credit.c is the model): 1. generate its data into the output
 * folder; 2. the naive pipeline, as a notebook would run it; 3. the check that finds what is wrong with it (an
 * audit, a drift monitor, a latency budget); 4. the pipeline that holds up; 5. the comparison, the narrative and
 * one case_study run record rendered to report.html, and a one-screen summary. A study works through the public
 * API like any program, plus the run-record builders of src/report/run.h, so its record cannot drift from the
 * format every `--report` writes.
 */
#ifndef PLUMB_STUDIES_H
#define PLUMB_STUDIES_H

#include "../report/run.h"

#include <stdio.h>

/* What a study's run function gets: the options (n_rows resolved to the study's default, at least its min_rows),
 * the output folder (created), and the summary stream to print its one-screen account on. */
typedef struct plumb__study_ctx {
    const plumb_study_options *opts;
    int64_t n_rows;
    FILE *summary;
    char path[4096]; /* plumb__study_path's result */
} plumb__study_ctx;

/* One row of the table: the public description and the pipeline. run returns PLUMB_EINVAL only for options the
 * study cannot run with, and leaves the summary's last line saying where the report is. */
typedef struct plumb__study {
    plumb_study_info info;
    plumb_status (*run)(plumb__study_ctx *ctx, plumb_error *err);
} plumb__study;

/* "<output_dir>/<name>" in ctx->path (overwritten by the next call); returns ctx->path. */
const char *plumb__study_path(plumb__study_ctx *ctx, const char *name);

/* The studies (credit.c, ...). */
plumb_status plumb__study_credit(plumb__study_ctx *ctx, plumb_error *err);
plumb_status plumb__study_realtime(plumb__study_ctx *ctx, plumb_error *err);

#endif /* PLUMB_STUDIES_H */
