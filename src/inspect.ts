/**
 * `tsonnx inspect` on files: a TorchScript archive (inspect-archive.ts on the opened archive) or an
 * ONNX model (its inputs, outputs, opsets and the state `--lift-state` recorded).
 */
import { readFile, open } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { openArchive } from './archive/file-source.js';
import { fail } from './errors.js';
import { inspectArchive, statesFromMetadata, type InspectOptions, type InspectReport, type ModelInspectReport } from './inspect-archive.js';
import { ONNX_DTYPE } from './ir/onnx-graph.js';
import { DEFAULT_OPSET } from './onnx/versions.js';
import { requireSupportedOpset } from './pipeline.js';

export * from './inspect-archive.js';

export async function inspect(path: string, options: InspectOptions = {}): Promise<InspectReport> {
  requireSupportedOpset(options.opset ?? DEFAULT_OPSET);
  const archive = await openArchive(path);
  try {
    return inspectArchive(archive, options);
  } finally {
    archive.close();
  }
}

const DTYPE_BY_CODE = new Map(Object.entries(ONNX_DTYPE).map(([name, code]) => [code, name]));

type ValueInfo = { name?: string | null; type?: { tensorType?: { elemType?: number | null; shape?: { dim?: Array<{ dimValue?: number | Long | null; dimParam?: string | null }> | null } | null } | null } | null };
type Long = { toNumber(): number };

function valueInfoReport(v: ValueInfo): ModelInspectReport['inputs'][number] {
  const t = v.type?.tensorType;
  const shape = (t?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : typeof d.dimValue === 'object' && d.dimValue ? d.dimValue.toNumber() : Number(d.dimValue ?? 0)));
  return { name: v.name ?? '', dtype: DTYPE_BY_CODE.get(t?.elemType ?? 0) ?? 'undefined', shape };
}

/** Reads an ONNX model's inputs, outputs, opsets and metadata, with the state `--lift-state` recorded. */
export async function inspectModel(path: string): Promise<ModelInspectReport> {
  const { onnx } = onnxProto;
  const bytes = await readFile(path);
  let message: ReturnType<typeof onnx.ModelProto.decode>;
  try {
    message = onnx.ModelProto.decode(bytes);
  } catch (e) {
    return fail('ARCHIVE_CORRUPT', `${path} is neither a TorchScript archive nor an ONNX model: ${(e as Error).message}`);
  }
  const graph = message.graph;
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name));
  const version = (v: unknown) => (typeof v === 'object' && v ? (v as Long).toNumber() : Number(v ?? 0));
  return {
    path,
    kind: 'onnx',
    irVersion: version(message.irVersion),
    producer: `${message.producerName ?? ''} ${message.producerVersion ?? ''}`.trim(),
    opsets: (message.opsetImport ?? []).map((o) => ({ domain: o.domain || 'ai.onnx', version: version(o.version) })),
    inputs: (graph?.input ?? []).filter((i) => !initializers.has(i.name)).map((i) => valueInfoReport(i as ValueInfo)),
    outputs: (graph?.output ?? []).map((o) => valueInfoReport(o as ValueInfo)),
    ...statesFromMetadata((message.metadataProps ?? []).map((p) => ({ key: p.key ?? '', value: p.value ?? '' }))),
  };
}

/**
 * `tsonnx inspect`: an ONNX model (a file starting as ModelProto does, with its ir_version field: byte
 * 0x08) or else a TorchScript archive, whose reader reports a missing or unreadable file.
 */
export async function inspectFile(path: string, options: InspectOptions = {}): Promise<InspectReport | ModelInspectReport> {
  const head = Buffer.alloc(1);
  try {
    const file = await open(path, 'r');
    try {
      await file.read(head, 0, 1, 0);
    } finally {
      await file.close();
    }
  } catch {
    return inspect(path, options);
  }
  return head[0] === 0x08 ? inspectModel(path) : inspect(path, options);
}
