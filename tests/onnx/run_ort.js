// run_ort.js: runs an exported speechtrain model in ONNX Runtime (CPU, onnxruntime-node) on
// a batch of feature files (default session options: ORT's graph optimizations on, as users
// run it) and writes one CSV row per file: fname, p_<class>... (output
// 'probabilities'), z_<class>... (output 'logits'). The whole batch goes through one run;
// the first file also goes through alone, and must give the same row (the batch axis is
// dynamic and rows are independent in eval mode).
//   node run_ort.js MODEL.onnx OUT.csv CLASSES FEATURES.npy...
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

// A little-endian float32 .npy file (format 1.0 or 2.0): its data and shape.
function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = b.toString('latin1', major === 1 ? 10 : 12, start);
  if (!/'descr': *'<f4'/.test(header) || /'fortran_order': *True/.test(header))
    throw new Error(`${file}: expected little-endian float32 in C order: ${header.trim()}`);
  const shape = header.match(/'shape': *\(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const n = shape.reduce((a, x) => a * x, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = b.readFloatLE(start + 4 * i);
  return { data, shape };
}

async function main() {
  const [model, out, classArg, ...files] = process.argv.slice(2);
  if (!files.length) throw new Error('usage: node run_ort.js MODEL.onnx OUT.csv CLASSES FEATURES.npy...');
  const classes = classArg.split(',');
  const feats = files.map(readNpy);
  const per = feats[0].data.length;
  const x = new Float32Array(per * feats.length);
  feats.forEach((f, i) => {
    if (f.data.length !== per) throw new Error(`${files[i]}: ${f.data.length} values, expected ${per}`);
    x.set(f.data, i * per);
  });
  const session = await ort.InferenceSession.create(model);
  const dims = [feats.length, 1, ...feats[0].shape.slice(-2)];
  const r = await session.run({ features: new ort.Tensor('float32', x, dims) });
  const K = classes.length;
  for (const name of ['probabilities', 'logits'])
    if (r[name].dims.join() !== [feats.length, K].join()) throw new Error(`${name} dims ${r[name].dims}`);
  const one = await session.run({ features: new ort.Tensor('float32', x.slice(0, per), [1, ...dims.slice(1)]) });
  for (let k = 0; k < K; k++)
    if (Math.abs(one.logits.data[k] - r.logits.data[k]) > 1e-5)
      throw new Error(`batch of 1 and batch of ${feats.length} differ at logit ${k}`);
  const rows = [['fname', ...classes.map((c) => 'p_' + c), ...classes.map((c) => 'z_' + c)].join(',')];
  files.forEach((f, i) => {
    const p = Array.from(r.probabilities.data.slice(i * K, (i + 1) * K), (v) => v.toPrecision(9));
    const z = Array.from(r.logits.data.slice(i * K, (i + 1) * K), (v) => v.toPrecision(9));
    rows.push([path.basename(f, '.npy') + '.wav', ...p, ...z].join(','));
  });
  fs.writeFileSync(out, rows.join('\n') + '\n');
}

main().catch((e) => {
  console.error(`run_ort.js: ${e.message}`);
  process.exit(1);
});
