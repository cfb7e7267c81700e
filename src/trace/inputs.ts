/**
 * `--input` specs: `float32[1,3,224,224]` for a tensor (a dim may be a name, which makes it
 * dynamic), or a JSON literal (`16000`, `0.5`, `true`, `null`) for a non-tensor argument.
 */
import type { DType } from '../archive/types.js';
import { fail } from '../errors.js';
import type { Dim } from '../ir/torch-graph.js';

export type InputSpec =
  | { readonly kind: 'tensor'; readonly dtype: DType; readonly shape: readonly Dim[] }
  | { readonly kind: 'value'; readonly value: unknown };

const SPEC_DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', float16: 'float16', half: 'float16', float64: 'float64', double: 'float64',
  bfloat16: 'bfloat16', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16',
  int8: 'int8', uint8: 'uint8', bool: 'bool',
};

export const INPUT_SYNTAX = 'dtype[d0,d1,...] (dtype one of float32, float16, float64, bfloat16, int64, int32, int8, uint8, bool) or a JSON literal such as 16000, 0.5, true, null';

export function parseInputSpec(text: string): InputSpec {
  const t = text.trim();
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
  return spec.kind === 'tensor' ? `${spec.dtype}[${spec.shape.join(',')}]` : JSON.stringify(spec.value);
}
