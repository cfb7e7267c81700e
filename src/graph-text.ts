/** The text form of a converted graph that `--verbose` prints: one line per node. */
import { DTYPE_BYTES, type OnnxAttr, type OnnxGraph, type OnnxTensor, type OnnxValueInfo } from './ir/onnx-graph.js';

function dimsText(v: OnnxValueInfo): string {
  const shape = v.shape ? `[${v.shape.join(',')}]` : '[?]';
  return `${v.sequence ? 'seq ' : ''}${v.dtype}${shape}`;
}

/** Element values of a small constant, for display. */
function constantValues(t: OnnxTensor): string | undefined {
  if (t.data.kind !== 'bytes') return undefined;
  const bytes = t.data.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = DTYPE_BYTES[t.dtype];
  const n = bytes.byteLength / size;
  if (n > 8) return undefined;
  const read: Partial<Record<string, (offset: number) => string>> = {
    float32: (o) => String(view.getFloat32(o, true)),
    float64: (o) => String(view.getFloat64(o, true)),
    int64: (o) => String(view.getBigInt64(o, true)),
    int32: (o) => String(view.getInt32(o, true)),
    int8: (o) => String(view.getInt8(o)),
    uint8: (o) => String(view.getUint8(o)),
    bool: (o) => (view.getUint8(o) ? 'true' : 'false'),
  };
  const reader = read[t.dtype];
  if (!reader) return undefined;
  const values = Array.from({ length: n }, (_, i) => reader(i * size));
  return t.dims.length === 0 ? values[0] : `[${values.join(',')}]`;
}

function attrText(value: OnnxAttr): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.join(',')}]`;
  const v = value as Exclude<OnnxAttr, number | string | readonly number[]>;
  if ('f' in v) return String(Math.fround(v.f));
  if ('floats' in v) return `[${v.floats.map((f) => Math.fround(f)).join(',')}]`;
  if ('strings' in v) return `[${v.strings.map((s) => JSON.stringify(s)).join(',')}]`;
  if ('t' in v) return `${v.t.dtype}[${v.t.dims.join(',')}]${constantValues(v.t) !== undefined ? ` ${constantValues(v.t)}` : ''}`;
  return `<graph ${v.g.name}>`;
}

/**
 * The graph as text: inputs, initializers, one line per node
 * (`name: outputs = OpType(inputs) attrs  # doc_string`), outputs; sub-graphs indented under their node.
 */
export function formatGraph(graph: OnnxGraph, indent = ''): string {
  const lines: string[] = [];
  lines.push(`${indent}graph ${graph.name}(${graph.inputs.map((v) => `${v.name}: ${dimsText(v)}`).join(', ')})`);
  for (const t of graph.initializers) lines.push(`${indent}  initializer ${t.name}: ${t.dtype}[${t.dims.join(',')}]`);
  for (const node of graph.nodes) {
    const op = node.domain ? `${node.domain}.${node.opType}` : node.opType;
    const attrs = Object.entries(node.attrs).map(([k, v]) => `${k}=${attrText(v)}`).join(' ');
    const doc = node.docString ? `  # ${node.docString.replace(/\s*\n\s*/g, ' | ')}` : '';
    lines.push(`${indent}  ${node.name}: ${node.outputs.join(', ')} = ${op}(${node.inputs.join(', ')})${attrs ? ` ${attrs}` : ''}${doc}`);
    for (const v of Object.values(node.attrs)) {
      if (typeof v === 'object' && v !== null && 'g' in v) lines.push(formatGraph(v.g, `${indent}    `).trimEnd());
    }
  }
  lines.push(`${indent}  return ${graph.outputs.map((v) => `${v.name}: ${dimsText(v)}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
