/**
 * silero v3.1 (../shared/corpus/rw_silero_v3_1) as a streaming model: converted with liftState, called
 * on 10 consecutive chunks of 1536 samples at 16 kHz and at 8 kHz, feeding each call's state back,
 * against one PyTorch module called 10 times in a row (test/fixtures/corpus-state/silero_v3_1.json,
 * recorded by scripts/silero_stream_reference.py with PyTorch 1.13 and 2.6). Skipped without the corpus.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convert } from '../../src/index.js';
import { inspectModel } from '../../src/inspect.js';
import { corpusRoot, expectClose, fixturesRoot, type NamedArray } from '../helpers/cases.js';
import { tempPath } from '../helpers/convert-case.js';
import { runStream } from '../helpers/streaming.js';

interface Reference {
  signal: {
    chunk: number;
    chunks: number;
    lcg: { seed: number; multiplier: number; increment: number; modulus: number };
    period: Record<string, number>;
    loudness: number[];
    mix: { saw: number; noise: number };
    sample_rates: number[];
  };
  /** PyTorch version → sample rate → each call's output. */
  torch: Record<string, Record<string, number[]>>;
}

const archive = join(corpusRoot, 'rw_silero_v3_1', 'model.pt');
const available = existsSync(archive);
if (!available) console.warn(`skipping silero streaming: ${archive} is absent`);
const reference = JSON.parse(readFileSync(join(fixturesRoot, 'corpus-state', 'silero_v3_1.json'), 'utf8')) as Reference;

/** The chunks scripts/silero_stream_reference.py computes: every operation in float64, rounded once to float32. */
function chunks(sr: number): NamedArray[] {
  const { chunk, chunks: count, lcg, period: periods, loudness, mix } = reference.signal;
  const period = periods[String(sr)];
  const half = period / 2;
  let s = BigInt(lcg.seed);
  const out: NamedArray[] = [];
  for (let k = 0; k < count; k++) {
    const data = new Float32Array(chunk);
    for (let j = 0; j < chunk; j++) {
      const n = k * chunk + j;
      s = (s * BigInt(lcg.multiplier) + BigInt(lcg.increment)) % BigInt(lcg.modulus);
      const saw = (n % period) / half - 1.0;
      const noise = Number(s) / lcg.modulus - 0.5;
      data[j] = loudness[k] * (saw * mix.saw + noise * mix.noise);
    }
    out.push({ dtype: 'float32', shape: [1, chunk], data });
  }
  return out;
}

const measured: string[] = [];
afterAll(() => {
  if (measured.length) console.info(`silero v3.1 streaming parity:\n${measured.join('\n')}`);
});

describe.skipIf(!available)('silero v3.1: 10 chunks with the state fed back', () => {
  it('records PyTorch 1.13 and 2.6', () => {
    expect(Object.keys(reference.torch).map((v) => v.slice(0, 4)).sort()).toEqual(['1.13', '2.6.']);
  });

  for (const sr of reference.signal.sample_rates) {
    it(`at ${sr} Hz`, async () => {
      const out = tempPath(`silero-${sr}.onnx`);
      const report = await convert(archive, out, { inputs: [`float32[1,${reference.signal.chunk}]`, String(sr)], opsetVersion: 17, liftState: true, strict: true });
      expect(report.inputs.map((i) => `${i.name}: ${i.dtype}[${i.shape.join(',')}]`)).toEqual(['x: float32[1,1536]', '_h: float32[2,1,64]', '_c: float32[2,1,64]']);
      expect(report.outputs.map((o) => `${o.name}: ${o.dtype}[${o.shape.join(',')}]`)).toEqual(['output_0: float32[1]', '_h_out: float32[2,1,64]', '_c_out: float32[2,1,64]']);
      const { state, folded } = await inspectModel(out);
      expect(state.map((s) => [s.name, s.output, s.init])).toEqual([['_h', '_h_out', 'zeros'], ['_c', '_c_out', 'zeros']]);
      expect(folded).toEqual([
        { attribute: '_last_sr', value: sr === 8000 ? 8000 : 16000, stored: 0 },
        { attribute: '_last_batch_size', value: 1, stored: 0 },
      ]);

      const run = await runStream(out, chunks(sr).map((c) => [c]));
      const got = run.outputs.map(([o]) => o.data[0] as number);
      for (const [version, bySr] of Object.entries(reference.torch)) {
        const want = bySr[String(sr)];
        run.outputs.forEach(([o], i) => {
          try {
            expectClose(o, { dtype: 'float32', shape: [1], data: new Float32Array([want[i]]) });
          } catch (error) {
            throw new Error(`PyTorch ${version}, chunk ${i + 1}: ${(error as Error).message}`);
          }
        });
        const worst = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
        measured.push(`  ${sr} Hz vs PyTorch ${version}: max |onnx - torch| ${worst.toExponential(2)} over outputs up to ${Math.max(...want).toFixed(4)}`);
      }
    });
  }

  it('with a dynamic batch: the state is [2,batch,64], the batch size folded as the input\'s, and three copies of the 16 kHz stream each give PyTorch\'s outputs', async () => {
    const out = tempPath('silero-dynamic.onnx');
    await convert(archive, out, { inputs: [`float32[1,${reference.signal.chunk}]`, '16000'], liftState: true, strict: true, dynamicAxes: { x: { 0: 'batch' } } });
    const { state, folded } = await inspectModel(out);
    expect(state.map((s) => [s.name, s.shape])).toEqual([['_h', [2, 'batch', 64]], ['_c', [2, 'batch', 64]]]);
    expect(folded).toContainEqual({ attribute: '_last_batch_size', value: 'batch', stored: 0 });
    const want = Object.values(reference.torch)[0]['16000'];
    for (const batch of [1, 3]) {
      const calls = chunks(16000).map((c) => {
        const data = new Float32Array(batch * c.data.length);
        for (let b = 0; b < batch; b++) data.set(c.data as Float32Array, b * c.data.length);
        return [{ dtype: 'float32', shape: [batch, c.data.length], data }];
      });
      const run = await runStream(out, calls, { batch });
      run.outputs.forEach(([o], i) => {
        try {
          expectClose(o, { dtype: 'float32', shape: [batch], data: new Float32Array(batch).fill(want[i]) });
        } catch (error) {
          throw new Error(`batch ${batch}, chunk ${i + 1}: ${(error as Error).message}`);
        }
      });
    }
  });
});
