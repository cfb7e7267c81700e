/**
 * The conformance suite's view of an ONNX file: the fields torch.onnx.export's options change, decoded
 * into plain values, for tsonnx's output and for the reference files torch.onnx.export wrote from the
 * same archives (scripts/fixtures/conformance_cases.py → test/fixtures/conformance/<case>/torch<ver>/,
 * one folder each for PyTorch 1.13 and 2.6).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkg from 'onnx-proto';
import { afterAll } from 'vitest';
import { convert, type ConvertOptions, type ConvertReport } from '../../src/index.js';
import { fixturesRoot, loadCase, type Case } from '../helpers/cases.js';

const { onnx } = pkg;

export const conformanceRoot = join(fixturesRoot, 'conformance');

export const TORCH_VERSIONS = ['torch113', 'torch26'] as const;
export type TorchVersion = (typeof TORCH_VERSIONS)[number];

export function caseDir(name: string, torch: TorchVersion = 'torch113'): string {
  return join(conformanceRoot, name, torch);
}

export function conformanceCase(name: string, torch: TorchVersion = 'torch113'): Case {
  return loadCase(caseDir(name, torch));
}

/** Attribute values: numbers, strings, lists, a constant's values, or `graph <name>`. */
export type AttrValue = number | string | number[] | string[] | boolean | { dtype: number; dims: number[]; values: Array<number | boolean> } | `graph ${string}`;

export interface NodeView {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  docString: string;
}

export interface ModelView {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  opsetImport: Array<[string, number]>;
  /** metadata_props as key → value. */
  metadata: Record<string, string>;
  graphName: string;
  graphDocString: string;
  /** `name: [dims]`, a dim being its size or its dim_param. */
  inputs: Array<[string, Array<number | string>]>;
  outputs: Array<[string, Array<number | string>]>;
  initializers: Array<[string, number[]]>;
  nodes: NodeView[];
}

interface DecodedTensor {
  dataType: number;
  dims: number[];
  rawData: Uint8Array;
}

function tensorValues(t: DecodedTensor): Array<number | boolean> {
  const bytes = Buffer.from(t.rawData);
  const count = t.dims.reduce((a, b) => a * b, 1);
  switch (t.dataType) {
    case 1: return Array.from({ length: count }, (_, i) => bytes.readFloatLE(i * 4));
    case 7: return Array.from({ length: count }, (_, i) => Number(bytes.readBigInt64LE(i * 8)));
    case 9: return Array.from({ length: count }, (_, i) => bytes[i] !== 0);
    case 11: return Array.from({ length: count }, (_, i) => bytes.readDoubleLE(i * 8));
    default: throw new Error(`tensor data type ${t.dataType} is not decoded by the conformance suite`);
  }
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

interface DecodedAttribute {
  name: string;
  type: number;
  f: number;
  i: number;
  s: Uint8Array;
  t: DecodedTensor;
  g: { name: string };
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
}

// AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7, STRINGS 8.
function attrValue(a: DecodedAttribute): AttrValue {
  switch (a.type) {
    case 1: return a.f;
    case 2: return a.i;
    case 3: return text(a.s);
    case 4: return { dtype: a.t.dataType, dims: a.t.dims, values: tensorValues(a.t) };
    case 5: return `graph ${a.g.name}`;
    case 6: return a.floats;
    case 7: return a.ints;
    case 8: return a.strings.map(text);
    default: throw new Error(`attribute type ${a.type} is not decoded by the conformance suite`);
  }
}

interface DecodedValueInfo {
  name: string;
  type: { tensorType: { shape: { dim: Array<{ dimValue: number; dimParam: string }> } } };
}

function dims(v: DecodedValueInfo): Array<number | string> {
  return v.type.tensorType.shape.dim.map((d) => d.dimParam || d.dimValue);
}

interface DecodedNode {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: DecodedAttribute[];
  docString: string;
}

/** `ModelProto.toObject` with int64 fields as numbers and every field present. */
interface DecodedModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  opsetImport: Array<{ domain: string; version: number }>;
  metadataProps: Array<{ key: string; value: string }>;
  graph: {
    name: string;
    docString: string;
    input: DecodedValueInfo[];
    output: DecodedValueInfo[];
    initializer: Array<{ name: string; dims: number[] }>;
    node: DecodedNode[];
  };
}

/** Decodes an ONNX file's option-relevant fields. */
export function readModel(path: string): ModelView {
  const message = onnx.ModelProto.decode(readFileSync(path));
  const m = onnx.ModelProto.toObject(message, { longs: Number, defaults: true, arrays: true }) as unknown as DecodedModel;
  return {
    irVersion: m.irVersion,
    producerName: m.producerName,
    producerVersion: m.producerVersion,
    docString: m.docString,
    opsetImport: m.opsetImport.map((o): [string, number] => [o.domain, o.version]),
    metadata: Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value])),
    graphName: m.graph.name,
    graphDocString: m.graph.docString,
    inputs: m.graph.input.map((v): [string, Array<number | string>] => [v.name, dims(v)]),
    outputs: m.graph.output.map((v): [string, Array<number | string>] => [v.name, dims(v)]),
    initializers: m.graph.initializer.map((t): [string, number[]] => [t.name, t.dims]),
    nodes: m.graph.node.map((n) => ({
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      inputs: n.input,
      outputs: n.output,
      attrs: Object.fromEntries(n.attribute.map((a) => [a.name, attrValue(a)])),
      docString: n.docString,
    })),
  };
}

/** What torch.onnx.export wrote for `variant` of a case (torch_<variant>.pb). */
export function reference(name: string, variant: string, torch: TorchVersion = 'torch113'): ModelView {
  return readModel(join(caseDir(name, torch), `torch_${variant}.pb`));
}

const workDir = mkdtempSync(join(tmpdir(), 'tsonnx-conformance-'));
let counter = 0;
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

export function outputPath(label: string): string {
  return join(workDir, `${counter++}-${label}.onnx`);
}

/**
 * Converts a conformance case's archive (`model.pt` unless `archive` says otherwise, made by `torch`)
 * with its recorded --input specs unless options say otherwise, and decodes the result.
 */
export async function convertCase(
  name: string,
  options: ConvertOptions = {},
  { archive = 'model.pt', torch = 'torch113' }: { archive?: string; torch?: TorchVersion } = {},
): Promise<{ report: ConvertReport; model: ModelView; path: string }> {
  const path = outputPath(name);
  const report = await convert(join(caseDir(name, torch), archive), path, { inputs: conformanceCase(name, torch).args, ...options });
  return { report, model: readModel(path), path };
}

/** Nodes of the given op types, in graph order: the part of a graph an option is about. */
export function nodesOf(model: ModelView, ...opTypes: string[]): NodeView[] {
  return model.nodes.filter((n) => opTypes.includes(n.opType));
}

/** A node without its name and wiring: what an option decides about it. */
export function shapeOfNode(n: NodeView): Pick<NodeView, 'opType' | 'domain' | 'attrs'> & { inputCount: number; outputCount: number } {
  return { opType: n.opType, domain: n.domain, attrs: n.attrs, inputCount: n.inputs.length, outputCount: n.outputs.length };
}
