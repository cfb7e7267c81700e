/**
 * Runs a model converted with liftState the way a streaming caller does: one session, the first call
 * fed the initial state its metadata records, each later call fed the previous call's state outputs.
 */
import ort from 'onnxruntime-node';
import { initialState, inspectModel, type ModelState } from '../../src/inspect.js';
import type { ArrayData, NamedArray } from './cases.js';

function toTensor(array: NamedArray): ort.Tensor {
  const data = array.dtype === 'bool' ? new Uint8Array(array.data as Uint8Array) : array.data;
  return new ort.Tensor(array.dtype as 'float32', data as Float32Array, array.shape);
}

function fromTensor(name: string, t: ort.Tensor): NamedArray {
  const data = (t.type === 'bool' ? Uint8Array.from(t.data as Uint8Array) : t.data) as ArrayData;
  return { name, dtype: t.type, shape: [...t.dims], data };
}

export interface StreamRun {
  /** The model outputs of each call, state outputs left out. */
  outputs: NamedArray[][];
  states: ModelState[];
}

/**
 * Calls the model once per entry of `calls` (its non-state inputs, in the model's input order),
 * carrying the state. `dims` sizes named dims of state shapes (a dynamic batch).
 */
export async function runStream(onnxPath: string, calls: readonly NamedArray[][], dims: Readonly<Record<string, number>> = {}): Promise<StreamRun> {
  const { state: states } = await inspectModel(onnxPath);
  const session = await ort.InferenceSession.create(onnxPath);
  try {
    const stateInputs = new Set(states.map((s) => s.name));
    const stateOutputs = new Set(states.map((s) => s.output));
    const inputNames = session.inputNames.filter((n) => !stateInputs.has(n));
    let carried: Record<string, ort.Tensor> = Object.fromEntries(
      states.map((s) => {
        const init = initialState(s, dims);
        return [s.name, new ort.Tensor(init.dtype as 'float32', init.data as Float32Array, init.dims)];
      }),
    );
    const outputs: NamedArray[][] = [];
    for (const call of calls) {
      if (call.length !== inputNames.length) throw new Error(`runStream: ${call.length} inputs for ${inputNames.join(', ')}`);
      const feeds: Record<string, ort.Tensor> = { ...carried };
      inputNames.forEach((name, i) => (feeds[name] = toTensor(call[i])));
      const results = await session.run(feeds);
      outputs.push(session.outputNames.filter((n) => !stateOutputs.has(n)).map((n) => fromTensor(n, results[n])));
      carried = Object.fromEntries(states.map((s) => [s.name, results[s.output]]));
    }
    return { outputs, states };
  } finally {
    await session.release();
  }
}

/** Largest |got - want| over every float value of every call (for reports). */
export function maxDifference(got: readonly NamedArray[][], want: readonly NamedArray[][]): number {
  let worst = 0;
  got.forEach((call, i) =>
    call.forEach((array, j) => {
      const expected = want[i][j].data as ArrayLike<number>;
      const values = array.data as ArrayLike<number>;
      for (let k = 0; k < values.length; k++) worst = Math.max(worst, Math.abs(Number(values[k]) - Number(expected[k])));
    }),
  );
  return worst;
}
