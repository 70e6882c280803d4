#!/usr/bin/env node
// ort_score.js -- scores a CSV file with an ONNX model exported by `plumb export`, in ONNX Runtime (onnxruntime-node).
//
// usage: node ort_score.js MODEL.onnx DATA.csv INPUTS.json OUT.csv [--threads N] [--bench]
//   INPUTS.json: the model's "plumb.inputs" metadata ({"X": [numeric and bool columns], "C": [categorical columns],
//   "bool": [the bool ones]}; tests/onnx/check.py writes it). The CSV's columns are found by name: X gets numbers
//   (the CSV reader's missing spellings and an empty field as NaN, true/false as 1/0), C the fields' text.
//   OUT.csv: the model's output per row ("probabilities" or "prediction"), one column per class, %.9g.
// --bench: prints JSON timings instead of writing OUT.csv: single-row latency (each of the first --bench-rows rows,
//   2000, scored alone after 200 warm-up calls: the median call, microseconds) and batch throughput (all rows in one
//   run after a warm-up run: the median of --batch-reps runs, 5, rows/s).
// ONNX Runtime is loaded from PLUMB_ORT_DIR (a directory holding node_modules/onnxruntime-node).
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
    const i = args.indexOf(name);
    if (i < 0) return dflt;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
};
const threads = parseInt(opt('--threads', '1'), 10);
const benchRows = parseInt(opt('--bench-rows', '2000'), 10);
const batchReps = parseInt(opt('--batch-reps', '5'), 10);
const bench = args.includes('--bench');
const pos = args.filter((a) => a !== '--bench');
if (pos.length !== 4) {
    process.stderr.write('usage: node ort_score.js MODEL.onnx DATA.csv INPUTS.json OUT.csv [--threads N] [--bench]\n');
    process.exit(2);
}
const [modelPath, dataPath, inputsPath, outPath] = pos;
const ortDir = process.env.PLUMB_ORT_DIR;
if (!ortDir) {
    process.stderr.write('ort_score.js: set PLUMB_ORT_DIR to the directory holding node_modules/onnxruntime-node\n');
    process.exit(2);
}
const ort = require(path.join(path.resolve(ortDir), 'node_modules', 'onnxruntime-node'));

// The CSV reader's default missing spellings (src/data/csv.c), for numbers.
const MISSING = new Set(['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN',
    '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null', '?']);

// Fields of a CSV text: RFC 4180 quotes, \n or \r\n line ends (a text without quotes takes a faster path).
function parseCsv(text) {
    if (!text.includes('"')) {
        const lines = text.split(/\r?\n/);
        if (lines.length && lines[lines.length - 1] === '') lines.pop();
        return lines.map((l) => l.split(','));
    }
    const rows = [];
    let row = [], field = '', i = 0, quoted = false;
    while (i < text.length) {
        const ch = text[i];
        if (quoted) {
            if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
            if (ch === '"') { quoted = false; i++; continue; }
            field += ch; i++; continue;
        }
        if (ch === '"') { quoted = true; i++; continue; }
        if (ch === ',') { row.push(field); field = ''; i++; continue; }
        if (ch === '\r' && text[i + 1] === '\n') { i++; continue; }
        if (ch === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; continue; }
        field += ch; i++;
    }
    if (field !== '' || row.length) { row.push(field); rows.push(row); }
    return rows;
}

function number(s, isBool) {
    if (MISSING.has(s)) return NaN;
    if (isBool) {
        if (/^(true|TRUE|True)$/.test(s)) return 1;
        if (/^(false|FALSE|False)$/.test(s)) return 0;
    }
    return Number(s);
}

async function main() {
    const spec = JSON.parse(fs.readFileSync(inputsPath, 'utf8'));
    const rows = parseCsv(fs.readFileSync(dataPath, 'utf8'));
    const header = rows.shift();
    const colOf = (name) => {
        const j = header.indexOf(name);
        if (j < 0) throw new Error(`${dataPath}: no column '${name}'`);
        return j;
    };
    const xs = spec.X.map(colOf), cs = spec.C.map(colOf), bools = new Set(spec.bool);
    const n = rows.length, nx = xs.length, nc = cs.length;
    const X = new Float32Array(n * nx);
    const C = new Array(n * nc);
    for (let i = 0; i < n; i++) {
        for (let j = 0; j < nx; j++) X[i * nx + j] = number(rows[i][xs[j]], bools.has(spec.X[j]));
        for (let j = 0; j < nc; j++) C[i * nc + j] = rows[i][cs[j]];
    }
    const so = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
    const session = await ort.InferenceSession.create(modelPath, so);
    const outName = session.outputNames.includes('probabilities') ? 'probabilities' : 'prediction';
    const feeds = (r0, r1) => {
        const f = {};
        if (nx) f.X = new ort.Tensor('float32', X.subarray(r0 * nx, r1 * nx), [r1 - r0, nx]);
        if (nc) f.C = new ort.Tensor('string', C.slice(r0 * nc, r1 * nc), [r1 - r0, nc]);
        return f;
    };
    if (bench) {
        const median = (a) => { const s = [...a].sort((p, q) => p - q); return s[s.length >> 1]; };
        const m = Math.min(benchRows, n);
        const one = [];
        for (let i = 0; i < Math.min(200, m); i++) await session.run(feeds(i, i + 1), [outName]); // warm-up
        for (let i = 0; i < m; i++) {
            const t0 = process.hrtime.bigint();
            await session.run(feeds(i, i + 1), [outName]);
            one.push(Number(process.hrtime.bigint() - t0) / 1e3);
        }
        const batch = [];
        const all = feeds(0, n);
        await session.run(all, [outName]);
        for (let k = 0; k < batchReps; k++) {
            const t0 = process.hrtime.bigint();
            await session.run(all, [outName]);
            batch.push(Number(process.hrtime.bigint() - t0) / 1e9);
        }
        process.stdout.write(JSON.stringify({ threads, single_row_us: median(one), rows: n,
            batch_rows_per_s: n / median(batch), ort_version: ort.env.versions.common }) + '\n');
        return;
    }
    const out = (await session.run(feeds(0, n), [outName]))[outName];
    const k = out.dims.length > 1 ? out.dims[1] : 1;
    const lines = [];
    for (let i = 0; i < n; i++) {
        const v = [];
        for (let j = 0; j < k; j++) v.push(out.data[i * k + j].toPrecision(9));
        lines.push(v.join(','));
    }
    fs.writeFileSync(outPath, lines.join('\n') + '\n');
}

main().catch((e) => {
    process.stderr.write(`ort_score.js: ${e.message || e}\n`);
    process.exit(1);
});
