/**
 * `--input` specs: `float32[1,3,224,224]` for a tensor (a dim may be a name, which makes it
 * dynamic), `[float32[3,480,640],float32[3,512,512]]` for a `List[Tensor]` argument (detection models'
 * images), or a JSON literal (`16000`, `0.5`, `true`, `null`) for a non-tensor argument.
 */
import type { DType } from '../archive/types.js';
import { fail } from '../errors.js';
import type { Dim } from '../ir/torch-graph.js';

export type TensorSpec = { readonly kind: 'tensor'; readonly dtype: DType; readonly shape: readonly Dim[] };

export type InputSpec =
  | TensorSpec
  | { readonly kind: 'tensors'; readonly items: readonly TensorSpec[] }
  | { readonly kind: 'value'; readonly value: unknown };

const SPEC_DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', float16: 'float16', half: 'float16', float64: 'float64', double: 'float64',
  bfloat16: 'bfloat16', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16',
  int8: 'int8', uint8: 'uint8', bool: 'bool', complex64: 'complex64', cfloat: 'complex64', complex128: 'complex128', cdouble: 'complex128',
};

export const INPUT_SYNTAX =
  'dtype[d0,d1,...] (dtype one of float32, float16, float64, bfloat16, int64, int32, int8, uint8, bool, complex64, complex128: a complex input is fed as its real view, float32[d0,...,2]), [dtype[...],dtype[...]] for a list of tensors, or a JSON literal such as 16000, 0.5, true, null';

/** `[float32[3,4,4], float32[3,5,5]]`: the tensor specs of a list, split at its top-level commas. */
function tensorListSpec(text: string): InputSpec | undefined {
  if (!/^\[\s*[a-z][a-z0-9]*\[/.test(text) || !text.endsWith(']')) return undefined;
  const items: string[] = [];
  let depth = 0;
  let start = 1;
  for (let i = 1; i < text.length - 1; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']') depth--;
    else if (text[i] === ',' && depth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  items.push(text.slice(start, text.length - 1));
  const specs = items.map((item) => parseInputSpec(item));
  if (!specs.every((spec): spec is TensorSpec => spec.kind === 'tensor')) {
    return fail('INPUT_SPEC', `--input ${text}: a list input holds tensor specs only; use ${INPUT_SYNTAX}`);
  }
  return { kind: 'tensors', items: specs };
}

export function parseInputSpec(text: string): InputSpec {
  const t = text.trim();
  const list = tensorListSpec(t);
  if (list) return list;
  const m = /^([a-z0-9]+)\[(.*)\]$/.exec(t);
  if (m) {
    const dtype = SPEC_DTYPES[m[1]];
    if (!dtype) fail('INPUT_SPEC', `--input ${text}: unknown dtype ${m[1]}; use ${INPUT_SYNTAX}`);
    const body = m[2].trim();
    const shape: Dim[] = body === '' ? [] : body.split(',').map((d) => {
      const s = d.trim();
      if (/^\d+$/.test(s)) return Number(s);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) return s;
      return fail('INPUT_SPEC', `--input ${text}: dimension "${s}" is neither a size nor a name`);
    });
    return { kind: 'tensor', dtype, shape };
  }
  try {
    return { kind: 'value', value: JSON.parse(t) };
  } catch {
    return fail('INPUT_SPEC', `--input ${text} is not valid; use ${INPUT_SYNTAX}`);
  }
}

export function formatInputSpec(spec: InputSpec): string {
  if (spec.kind === 'tensors') return `[${spec.items.map(formatInputSpec).join(',')}]`;
  return spec.kind === 'tensor' ? `${spec.dtype}[${spec.shape.join(',')}]` : JSON.stringify(spec.value);
}

/** A float32 input as a float16 conversion traces it: float16, like the inputs PyTorch gives a half() model. */
export function halfInputSpec(spec: InputSpec): InputSpec {
  const half = (t: TensorSpec): TensorSpec => (t.dtype === 'float32' ? { ...t, dtype: 'float16' } : t);
  if (spec.kind === 'tensor') return half(spec);
  if (spec.kind === 'tensors') return { ...spec, items: spec.items.map(half) };
  return spec;
}
