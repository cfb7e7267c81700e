// usage: node check.mjs caseDir opset
import ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
const [dir, opset] = process.argv.slice(2);
const c = JSON.parse(readFileSync(`${dir}/case.json`, 'utf8'));
const out = `/tmp/check-${process.pid}.onnx`;
execFileSync('node', ['dist/cli.js', `${dir}/model.pt`, out, ...c.args.flatMap((a) => ['--input', a]), '--opset', opset]);
const arr = (e) => {
  const b = readFileSync(`${dir}/${e.file}`);
  const T = { float32: Float32Array, int64: BigInt64Array, bool: Uint8Array }[e.dtype];
  return new ort.Tensor(e.dtype, new T(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)), e.shape);
};
const s = await ort.InferenceSession.create(out);
const feeds = {};
s.inputNames.forEach((n, i) => (feeds[n] = arr(c.inputs[i])));
const r = await s.run(feeds);
s.outputNames.forEach((n, i) => {
  const got = r[n].data, want = arr(c.outputs[i]).data;
  let m = 0;
  for (let j = 0; j < want.length; j++) { const d = Math.abs(Number(got[j]) - Number(want[j])); if (!(Number.isNaN(got[j]) && Number.isNaN(want[j]))) m = Math.max(m, Number.isNaN(d) ? Infinity : d); }
  console.log(`${dir} opset ${opset} output ${i}: max diff ${m}`);
});
