#!/usr/bin/env node
/**
 * Writes the ONNX models the tier 3 tests use (test/fixtures/detect/onnx/), with no ONNX tooling:
 * the ModelProto is encoded here field by field in the protobuf wire format (the field numbers of
 * onnx/onnx.proto), and the tests load the files with onnxruntime-node, which is the check that
 * the encoding is right.
 *
 * - injection-lr.onnx: a logistic regression over the hashed character n-grams of
 *   src/detect/onnx-features.ts (imported here, so training and inference encode text the same
 *   way), trained by full-batch gradient descent from zero on the dev set and BIPIA's training
 *   split (the holdouts and public-test stay evaluation data). Graph: probabilities =
 *   Softmax(MatMul(features, W) + B), W = [-w/2, w/2] per bucket, so probabilities[:, 1] is the
 *   logistic regression's p(attack). Input `features` float [batch, 2048]; outputs `probabilities`
 *   float [batch, 2] and `logits` float [batch, 2]. Beside it, injection-lr.json: the detector
 *   configuration `warden detect --model` reads.
 * - broken-reshape.onnx: loads, and every run fails (Reshape of [batch, 2048] to [7]).
 * - slow.onnx: a few hundred bytes whose run multiplies a 1024 x 1024 matrix by itself (Tile then
 *   MatMul), so a run takes far longer than a millisecond: the timeout test's model.
 *
 * Deterministic: the same corpus gives the same bytes (a test regenerates them and compares).
 * Usage: node scripts/make-test-onnx.mjs [--out <dir>]   (no network)
 */
import { Buffer } from 'node:buffer';
import console from 'node:console';
import process from 'node:process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashedNgrams } from '../src/detect/onnx-features.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const outAt = process.argv.indexOf('--out');
const OUT = outAt > 0 && process.argv[outAt + 1] !== undefined ? process.argv[outAt + 1] : join(ROOT, 'test', 'fixtures', 'detect', 'onnx');
const DIMS = 2048;
const NGRAMS = [3, 4];
const EPOCHS = 1500;
const RATE = 8;
const L2 = 1e-4;

// --- protobuf wire format -------------------------------------------------------------------
function varint(n) {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int64 negatives: two's complement, ten bytes
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Buffer.from(out);
}
const key = (field, wire) => varint((field << 3) | wire);
const int = (field, n) => Buffer.concat([key(field, 0), varint(n)]);
const bytes = (field, b) => Buffer.concat([key(field, 2), varint(b.length), b]);
const str = (field, s) => bytes(field, Buffer.from(s, 'utf8'));
const msg = (field, parts) => bytes(field, Buffer.concat(parts));

// --- ONNX messages (onnx.proto field numbers) -------------------------------------------------
const FLOAT = 1;
const INT64 = 7;
/** NodeProto: input=1, output=2, name=3, op_type=4. */
const node = (op, inputs, outputs, name) => msg(1, [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, name), str(4, op)]);
/** TensorProto: dims=1, data_type=2, name=8, raw_data=9 (little-endian). */
function tensor(name, type, dims, raw) {
  return msg(5, [...dims.map((d) => int(1, d)), int(2, type), str(8, name), bytes(9, raw)]);
}
const floats = (values) => Buffer.from(new Float32Array(values).buffer);
const int64s = (values) => Buffer.from(new BigInt64Array(values.map(BigInt)).buffer);
/** ValueInfoProto{name=1, type=2: TypeProto{tensor_type=1: {elem_type=1, shape=2: {dim=1: {dim_value=1 | dim_param=2}}}}}. */
function valueInfo(field, name, type, dims) {
  const dimParts = dims.map((d) => msg(1, [typeof d === 'string' ? str(2, d) : int(1, d)]));
  return msg(field, [str(1, name), msg(2, [msg(1, [int(1, type), msg(2, dimParts)])])]);
}
/** ModelProto{ir_version=1, producer_name=2, graph=7, opset_import=8: {domain=1, version=2}}; GraphProto{node=1, name=2, initializer=5, input=11, output=12}. */
function model(name, nodes, initializers, inputs, outputs) {
  const graph = Buffer.concat([...nodes, str(2, name), ...initializers, ...inputs, ...outputs]);
  return Buffer.concat([int(1, 8), str(2, 'warden make-test-onnx'), bytes(7, graph), msg(8, [str(1, ''), int(2, 13)])]);
}

// --- training ---------------------------------------------------------------------------------
function rows(file) {
  return readFileSync(join(ROOT, 'test', 'fixtures', 'detect', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

function train() {
  const data = [...rows('injection-dev.jsonl'), ...rows('public-train.jsonl')];
  // Sparse rows (index, value): a text touches a few hundred of the 2048 buckets.
  const xs = data.map((r) => {
    const v = hashedNgrams(r.text, NGRAMS, new Float32Array(DIMS));
    const index = [];
    for (let j = 0; j < DIMS; j++) if (v[j] !== 0) index.push(j);
    return { index, value: index.map((j) => v[j]) };
  });
  const ys = data.map((r) => (r.label === 'attack' ? 1 : 0));
  // Classes weighted to equal total weight: the corpus has twice as many attacks as benign texts.
  const attacks = ys.filter((y) => y === 1).length;
  const cw = [xs.length / (2 * (xs.length - attacks)), xs.length / (2 * attacks)];
  const w = new Float64Array(DIMS);
  let b = 0;
  const z = (x) => {
    let sum = b;
    for (let k = 0; k < x.index.length; k++) sum += w[x.index[k]] * x.value[k];
    return sum;
  };
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const gw = new Float64Array(DIMS);
    let gb = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      const err = (1 / (1 + Math.exp(-z(x))) - ys[i]) * cw[ys[i]];
      for (let k = 0; k < x.index.length; k++) gw[x.index[k]] += err * x.value[k];
      gb += err;
    }
    for (let j = 0; j < DIMS; j++) w[j] -= RATE * (gw[j] / xs.length + L2 * w[j]);
    b -= (RATE * gb) / xs.length;
  }
  let right = 0;
  for (let i = 0; i < xs.length; i++) if (z(xs[i]) >= 0 === (ys[i] === 1)) right++;
  return { w, b, rows: data.length, accuracy: right / xs.length };
}

mkdirSync(OUT, { recursive: true });
const { w, b, rows: trained, accuracy } = train();
const weights = [];
for (let j = 0; j < DIMS; j++) weights.push(-w[j] / 2, w[j] / 2);
writeFileSync(
  join(OUT, 'injection-lr.onnx'),
  model(
    'injection-lr',
    [node('MatMul', ['features', 'W'], ['xw'], 'matmul'), node('Add', ['xw', 'B'], ['logits'], 'add'), node('Softmax', ['logits'], ['probabilities'], 'softmax')],
    [tensor('W', FLOAT, [DIMS, 2], floats(weights)), tensor('B', FLOAT, [2], floats([-b / 2, b / 2]))],
    [valueInfo(11, 'features', FLOAT, ['batch', DIMS])],
    [valueInfo(12, 'probabilities', FLOAT, ['batch', 2]), valueInfo(12, 'logits', FLOAT, ['batch', 2])],
  ),
);
writeFileSync(
  join(OUT, 'injection-lr.json'),
  `${JSON.stringify({ path: 'injection-lr.onnx', input: 'features', output: 'probabilities', encoding: { kind: 'hashed-char-ngrams', dims: DIMS, ngrams: NGRAMS }, attackIndex: 1, threshold: 0.5 }, null, 2)}\n`,
);
writeFileSync(
  join(OUT, 'broken-reshape.onnx'),
  model(
    'broken-reshape',
    [node('Reshape', ['features', 'shape'], ['probabilities'], 'reshape')],
    [tensor('shape', INT64, [1], int64s([7]))],
    [valueInfo(11, 'features', FLOAT, ['batch', DIMS])],
    [valueInfo(12, 'probabilities', FLOAT, [7])],
  ),
);
writeFileSync(
  join(OUT, 'slow.onnx'),
  model(
    'slow',
    [node('Tile', ['features', 'repeats'], ['square'], 'tile'), node('Transpose', ['square'], ['squareT'], 'transpose'), node('MatMul', ['square', 'squareT'], ['probabilities'], 'matmul')],
    [tensor('repeats', INT64, [2], int64s([1024, 1]))],
    [valueInfo(11, 'features', FLOAT, ['batch', 1024])],
    [valueInfo(12, 'probabilities', FLOAT, ['rows', 'rows'])],
  ),
);
console.log(`wrote ${OUT}: injection-lr.onnx (trained on ${trained} texts, ${DIMS} buckets, training accuracy ${accuracy.toFixed(3)}), broken-reshape.onnx, slow.onnx`);
