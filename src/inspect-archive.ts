/**
 * `tsonnx inspect`: what an archive holds before converting it: the module tree, forward()'s
 * signature, parameter counts, producer hints, and the aten ops its code calls with whether tsonnx
 * lowers each at an opset. On an open archive, for every platform; inspect.ts reads files (Node).
 */
import { float16Bits } from './archive/half.js';
import { isTensorRef, type Archive, type PickleValue, type ScriptObject, type TensorRef } from './archive/types.js';
import { DEFAULT_OPSET } from './onnx/versions.js';
import { requireSupportedOpset } from './pipeline.js';
import { fail } from './errors.js';
import { DTYPE_BYTES } from './ir/onnx-graph.js';
import { createOpRegistry } from './ops/index.js';
import { callsEngineArithmetic, DEFAULT_QUANTIZED_ENGINE, QUANTIZED_ENGINE_USES, QUANTIZED_ENGINES } from './ops/quantized-engine.js';
import { lowestOpset, type Registry } from './ops/registry.js';
import type { AttributeExpr, CallExpr, ClassDef, Expr, FunctionDef, Param, TypeExpr } from './script/ast.js';
import { dottedName } from './script/ast.js';
import { isBuiltin } from './trace/builtins.js';
import { ClassLoader } from './trace/classes.js';
import { formatInputSpec } from './trace/inputs.js';
import { STATE_METADATA_PREFIX } from './trace/state.js';
import { tracedInputSpecs } from './trace/trace.js';

export interface InspectOptions {
  /** Opset to judge op support at (default 17). */
  opset?: number;
}

export interface ModuleReport {
  /** Attribute path from the root module (`layer1.0.conv1`); '' for the root. */
  path: string;
  /** Qualified class name without `__torch__.` and `___torch_mangle_N` (`torch.nn.modules.conv.Conv2d`). */
  className: string;
  /** Parameter elements in this module and the modules below it. */
  parameters: number;
  /** Buffer elements (running statistics, ...) in this module and below. */
  buffers: number;
  children: ModuleReport[];
}

export interface ParamReport {
  name: string;
  type: string;
  /** The default as the archive's code writes it (`None`, `3`, `[1, 1]`). */
  default?: string;
}

export interface MethodReport {
  name: string;
  /** Arguments after `self`. */
  params: ParamReport[];
  returns: string;
  /** `forward(x: Tensor, scale: float = 1.) -> Tensor`. */
  signature: string;
}

export interface ProducerHint {
  /** What the archive shows (`.data/serialization_id record`). */
  evidence: string;
  /** What it implies (`PyTorch 2.1 or later`). */
  meaning: string;
}

export type OpStatus = 'supported' | 'needs-opset' | 'unsupported' | 'builtin';

export interface OpUse {
  /** `aten::conv2d`, `quantized::linear_dynamic`; in-place forms keep their `_`. */
  op: string;
  /** Call sites in the code. */
  calls: number;
  /**
   * `supported`: lowered at the chosen opset; `needs-opset`: lowered from `lowestOpset` on;
   * `unsupported`: no lowering; `builtin`: a Python-level function computed during conversion
   * (`torch.len`, `torch.append`, `ops.prim.device`).
   */
  status: OpStatus;
  lowestOpset?: number;
}

export interface InspectReport {
  path: string;
  archive: {
    /** File-format version (`version` or `.data/version`): not the PyTorch version. */
    version: number;
    byteorder: 'little' | 'big';
    records: number;
    /** How the archive was made, from its code. */
    kind: 'traced' | 'scripted' | 'traced with scripted parts' | 'unknown';
    /** PyTorch version range the hints allow, e.g. `PyTorch 1.8 to 2.0`, or `unknown`. */
    producer: string;
    hints: ProducerHint[];
  };
  modules: ModuleReport;
  /** The root module's forward(), when it has one. */
  forward?: MethodReport;
  /** The root module's other methods. */
  methods: MethodReport[];
  totals: { parameters: number; parameterBytes: number; buffers: number; bufferBytes: number };
  opset: number;
  /** Every `torch.X(...)` / `ops.ns.X(...)` the code reachable from the root module calls, by name. */
  ops: OpUse[];
  /** forward()'s example inputs as `--input` specs, when the archive stores them (PyTorch 2.x traces). */
  exampleInputs?: string[];
  /** A command that converts the archive with those inputs. */
  command?: string;
  /** Whether the model is statically quantized, so that its integers depend on the engine PyTorch ran (`--quantized-engine`). */
  staticallyQuantized: boolean;
}

// ---------- archive inspection ----------

export function inspectArchive(archive: Archive, options: InspectOptions = {}): InspectReport {
  const opset = options.opset ?? DEFAULT_OPSET;
  requireSupportedOpset(opset);
  return new Inspector(archive, opset, createOpRegistry()).run();
}

function isScriptObject(v: PickleValue): v is ScriptObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'kind' in v && v.kind === 'object';
}


/** `__torch__.torch.nn.modules.conv.___torch_mangle_4.Conv2d` → `torch.nn.modules.conv.Conv2d`. */
export function demangle(className: string): string {
  return className.replace(/^__torch__\./, '').replace(/(^|\.)___torch_mangle_\d+(?=\.)/g, '').replace(/^\./, '');
}

function numel(t: TensorRef): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

/** Names listed by a class's `__parameters__` / `__buffers__` line. */
function listedNames(def: ClassDef, member: '__parameters__' | '__buffers__'): Set<string> {
  const names = new Set<string>();
  for (const m of def.members) {
    if (m.kind === 'classassign' && m.name === member && m.value.kind === 'list') {
      for (const item of m.value.items) if (item.kind === 'str') names.add(item.value);
    }
  }
  return names;
}

/** Calls every AST node (objects with a `kind`) under `node`. */
function walk(node: unknown, visit: (n: { kind: string }) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
  } else if (typeof node === 'object' && node !== null) {
    if ('kind' in node && typeof node.kind === 'string') visit(node as { kind: string });
    for (const [key, value] of Object.entries(node)) if (key !== 'pos') walk(value, visit);
  }
}

class Inspector {
  private readonly loader: ClassLoader;
  private readonly scannedClasses = new Set<string>();
  private readonly scannedFunctions = new Set<string>();
  private readonly calls = new Map<string, number>();
  private readonly counted = new Set<string>();
  private readonly totals = { parameters: 0, parameterBytes: 0, buffers: 0, bufferBytes: 0 };
  private readonly evidence = { argumentNames: false, controlFlow: false, scriptedFunctions: false, backwardHookAttr: false, modulesWithTraining: 0 };

  constructor(
    private readonly archive: Archive,
    private readonly opset: number,
    private readonly registry: Registry,
  ) {
    this.loader = new ClassLoader(archive);
  }

  run(): InspectReport {
    const modules = this.module(this.archive.module, '');
    const root = this.classDef(this.archive.module.className);
    const methods = root ? [...root.members].filter((m): m is FunctionDef => m.kind === 'def').map((fn) => methodReport(fn)) : [];
    const forward = methods.find((m) => m.name === 'forward');
    const ops = this.ops();
    return {
      path: this.archive.path,
      archive: {
        version: this.archive.version,
        byteorder: this.archive.byteorder,
        records: this.archive.entries.size,
        kind: this.kind(),
        ...this.producer(),
      },
      modules,
      forward,
      methods: methods.filter((m) => m !== forward && !m.name.startsWith('__')),
      totals: this.totals,
      opset: this.opset,
      ops,
      ...this.exampleCommand(),
      staticallyQuantized: callsEngineArithmetic(ops.map((u) => u.op)),
    };
  }

  private exampleCommand(): Pick<InspectReport, 'exampleInputs' | 'command'> {
    const specs = tracedInputSpecs(this.archive, 'forward')?.map(formatInputSpec);
    if (!specs) return {};
    const fileName = this.archive.path.slice(this.archive.path.lastIndexOf('/') + 1);
    const output = `${fileName.replace(/\.[^.]*$/, '')}.onnx`;
    const quote = (text: string) => (/^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
    const command = ['tsonnx', quote(this.archive.path), quote(output), ...specs.flatMap((spec) => ['--input', quote(spec)])].join(' ');
    return { exampleInputs: specs, command };
  }

  private classDef(className: string): ClassDef | undefined {
    const r = this.loader.resolve(className);
    return r.kind === 'class' ? r.cls.def : undefined;
  }

  /** A module object and the objects below it: tree, parameter counts, and its class's code scanned. */
  private module(obj: ScriptObject, path: string): ModuleReport {
    const def = this.classDef(obj.className);
    if (def) this.scanClass(obj.className);
    const parameters = def ? listedNames(def, '__parameters__') : new Set<string>();
    const buffers = def ? listedNames(def, '__buffers__') : new Set<string>();
    if (obj.attributes.has('training')) {
      this.evidence.modulesWithTraining++;
      if (obj.attributes.has('_is_full_backward_hook')) this.evidence.backwardHookAttr = true;
    }
    const report: ModuleReport = { path, className: demangle(obj.className), parameters: 0, buffers: 0, children: [] };
    for (const [name, value] of obj.attributes) {
      const childPath = path ? `${path}.${name}` : name;
      if (isTensorRef(value)) {
        const kind = parameters.has(name) ? 'parameters' : buffers.has(name) ? 'buffers' : undefined;
        if (kind) {
          report[kind] += numel(value);
          this.count(value, kind);
        }
      } else if (isScriptObject(value) && value.attributes.has('training')) {
        const child = this.module(value, childPath);
        report.parameters += child.parameters;
        report.buffers += child.buffers;
        report.children.push(child);
      } else {
        this.scanValue(value);
      }
    }
    return report;
  }

  /** Script-class objects held as plain attributes (lists, dicts, tuples of them) have code too. */
  private scanValue(value: PickleValue): void {
    if (isScriptObject(value)) {
      if (this.classDef(value.className)) this.scanClass(value.className);
      for (const v of value.attributes.values()) this.scanValue(v);
    } else if (Array.isArray(value)) value.forEach((v) => this.scanValue(v));
    else if (typeof value === 'object' && value !== null && 'kind' in value) {
      if (value.kind === 'tuple') value.items.forEach((v) => this.scanValue(v));
      else if (value.kind === 'dict') value.entries.forEach(([, v]) => this.scanValue(v));
    }
  }

  /** Adds a tensor to the totals once, however many attributes share it (tied weights). */
  private count(t: TensorRef, kind: 'parameters' | 'buffers'): void {
    const key = `${t.storage.entry.name}:${t.storageOffset}:${t.shape.join(',')}:${t.strides.join(',')}`;
    if (this.counted.has(key)) return;
    this.counted.add(key);
    this.totals[kind] += numel(t);
    this.totals[kind === 'parameters' ? 'parameterBytes' : 'bufferBytes'] += numel(t) * DTYPE_BYTES[t.dtype];
  }

  private scanClass(qualified: string): void {
    if (this.scannedClasses.has(qualified)) return;
    this.scannedClasses.add(qualified);
    const r = this.loader.resolve(qualified);
    if (r.kind !== 'class') return;
    for (const m of r.cls.def.members) if (m.kind === 'def') this.scanFunction(m);
  }

  private scanFunction(fn: FunctionDef): void {
    if (fn.params.some((p) => /^argument_\d+$/.test(p.name))) this.evidence.argumentNames = true;
    walk(fn.body, (n) => {
      if (n.kind === 'if' || n.kind === 'for' || n.kind === 'while') this.evidence.controlFlow = true;
      if (n.kind === 'call') {
        const name = dottedName((n as CallExpr).func);
        const parts = name?.split('.') ?? [];
        if ((parts[0] === 'torch' && parts.length === 2) || (parts[0] === 'ops' && parts.length === 3)) {
          this.calls.set(name as string, (this.calls.get(name as string) ?? 0) + 1);
        }
      } else if (n.kind === 'attribute') {
        // Scripted code calls free functions through a local: `_0 = __torch__.torch.nn.functional.relu`.
        const name = dottedName(n as AttributeExpr);
        if (name?.startsWith('__torch__.')) this.scanReference(name);
      }
    });
  }

  /** `__torch__.a.b.f` (a scripted free function) or `__torch__.a.B` (a class); other prefixes are namespaces. */
  private scanReference(qualified: string): void {
    const r = this.loader.resolve(qualified);
    if (r.kind === 'class') this.scanClass(qualified);
    else if (r.kind === 'function' && !this.scannedFunctions.has(qualified)) {
      this.evidence.scriptedFunctions = true;
      this.scannedFunctions.add(qualified);
      this.scanFunction(r.fn);
    }
  }

  private ops(): OpUse[] {
    const uses = [...this.calls].map(([path, calls]): OpUse => {
      const parts = path.split('.');
      const op = parts[0] === 'torch' ? `aten::${parts[1]}` : `${parts[1]}::${parts[2]}`;
      const name = op.split('::')[1];
      const entry = this.registry.findOp(op) ?? (name.endsWith('_') && !name.endsWith('__') ? this.registry.findOp(op.slice(0, -1)) : undefined);
      if (!entry) return { op, calls, status: isBuiltin(path) ? 'builtin' : 'unsupported' };
      const lowest = lowestOpset(entry.def);
      if (lowest === undefined) return { op, calls, status: 'unsupported' };
      return { op, calls, status: lowest <= this.opset ? 'supported' : 'needs-opset', lowestOpset: lowest };
    });
    return uses.sort((a, b) => (a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
  }

  private kind(): InspectReport['archive']['kind'] {
    const traced = this.evidence.argumentNames || this.archive.tracedInputs !== undefined;
    const scripted = this.evidence.controlFlow || this.evidence.scriptedFunctions;
    if (traced && scripted) return 'traced with scripted parts';
    if (traced) return 'traced';
    if (scripted) return 'scripted';
    return 'unknown';
  }

  /** Records only some PyTorch versions write, as [evidence, lowest, highest version]. */
  private producer(): { producer: string; hints: ProducerHint[] } {
    const found: Array<{ evidence: string; since?: number[]; until?: number[] }> = [];
    const has = (name: string) => this.archive.entries.has(name);
    if (has('.data/serialization_id')) found.push({ evidence: '.data/serialization_id record', since: [2, 1] });
    if (has('byteorder')) found.push({ evidence: 'byteorder record', since: [2, 1] });
    if (this.archive.tracedInputs) found.push({ evidence: 'traced_inputs.pkl (example inputs of a trace)', since: [2, 0] });
    if (this.calls.has('torch.scaled_dot_product_attention')) found.push({ evidence: 'calls torch.scaled_dot_product_attention', since: [2, 0] });
    if (this.evidence.backwardHookAttr) found.push({ evidence: 'modules have _is_full_backward_hook', since: [1, 8] });
    else if (this.evidence.modulesWithTraining > 0) found.push({ evidence: 'modules lack _is_full_backward_hook', until: [1, 7] });
    const opVersionSet = [...this.archive.entries.keys()].some((n) => n.startsWith('code/') && n.endsWith('.py') && /^op_version_set\s*=\s*1\b/.test(this.archive.code(n) ?? ''));
    if (opVersionSet || this.archive.version === 1) found.push({ evidence: opVersionSet ? 'op_version_set = 1 in code files' : 'file format version 1', until: [1, 3] });
    else if (this.archive.version === 2) found.push({ evidence: 'file format version 2', since: [1, 4], until: [1, 5] });
    else found.push({ evidence: `file format version ${this.archive.version}`, since: [1, 6] });
    if (!has('byteorder') && !has('.data/serialization_id') && this.archive.version >= 3) {
      found.push({ evidence: 'no byteorder or .data/serialization_id record', until: [2, 0] });
    }
    const text = (v: number[]) => v.join('.');
    const compare = (a: number[], b: number[]) => a[0] - b[0] || a[1] - b[1];
    const since = found.flatMap((f) => (f.since ? [f.since] : [])).sort(compare).at(-1);
    const until = found.flatMap((f) => (f.until ? [f.until] : [])).sort(compare)[0];
    let producer = 'unknown';
    if (since && until) producer = compare(since, until) > 0 ? 'conflicting hints' : compare(since, until) === 0 ? `PyTorch ${text(since)}` : `PyTorch ${text(since)} to ${text(until)}`;
    else if (since) producer = `PyTorch ${text(since)} or later`;
    else if (until) producer = `PyTorch ${text(until)} or earlier`;
    const hints = found.map((f) => ({
      evidence: f.evidence,
      meaning: f.since && f.until ? `PyTorch ${text(f.since)} to ${text(f.until)}` : f.since ? `PyTorch ${text(f.since)} or later` : `PyTorch ${text(f.until as number[])} or earlier`,
    }));
    return { producer, hints };
  }
}

function typeText(t: TypeExpr | undefined): string {
  if (!t) return 'Any';
  return t.args.length ? `${t.name}[${t.args.map(typeText).join(', ')}]` : t.name;
}

function paramReport(p: Param): ParamReport {
  return { name: p.name, type: typeText(p.annotation), ...(p.default ? { default: exprText(p.default) } : {}) };
}

function methodReport(fn: FunctionDef): MethodReport {
  const params = fn.params.slice(1).map(paramReport);
  const returns = typeText(fn.returns);
  const args = params.map((p) => `${p.name}: ${p.type}${p.default !== undefined ? ` = ${p.default}` : ''}`).join(', ');
  return { name: fn.name, params, returns, signature: `${fn.name}(${args}) -> ${returns}` };
}

/** Python source for an expression, as TorchScript prints it (defaults are literals, lists and tuples). */
export function exprText(e: Expr): string {
  switch (e.kind) {
    case 'name': return e.id;
    case 'int': return String(e.value);
    case 'float': return Number.isInteger(e.value) ? `${e.value}.` : String(e.value);
    case 'complex': return `${e.imag}j`;
    case 'str': return JSON.stringify(e.value);
    case 'bool': return e.value ? 'True' : 'False';
    case 'none': return 'None';
    case 'ellipsis': return '...';
    case 'attribute': return `${exprText(e.object)}.${e.attr}`;
    case 'call': return `${exprText(e.func)}(${[...e.args.map(exprText), ...e.keywords.map((k) => `${k.name}=${exprText(k.value)}`)].join(', ')})`;
    case 'subscript': return `${exprText(e.object)}[${exprText(e.index)}]`;
    case 'slice': return `${e.lower ? exprText(e.lower) : ''}:${e.upper ? exprText(e.upper) : ''}${e.step ? `:${exprText(e.step)}` : ''}`;
    case 'tuple': return e.items.length === 1 ? `(${exprText(e.items[0])},)` : `(${e.items.map(exprText).join(', ')})`;
    case 'list': return `[${e.items.map(exprText).join(', ')}]`;
    case 'dict': return `{${e.keys.map((k, i) => `${exprText(k)}: ${exprText(e.values[i])}`).join(', ')}}`;
    case 'binary': return `${exprText(e.left)} ${e.op} ${exprText(e.right)}`;
    case 'unary': return e.op === 'not' ? `not ${exprText(e.operand)}` : `${e.op}${exprText(e.operand)}`;
    case 'compare': return [exprText(e.left), ...e.ops.map((op, i) => `${op} ${exprText(e.comparators[i])}`)].join(' ');
    case 'boolop': return e.values.map(exprText).join(` ${e.op} `);
    case 'ternary': return `${exprText(e.body)} if ${exprText(e.test)} else ${exprText(e.orelse)}`;
    case 'listcomp': return `[${exprText(e.element)} for ${exprText(e.target)} in ${exprText(e.iter)}]`;
    case 'typearg': return typeText(e.type);
  }
}

// ---------- text forms ----------

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function bytesText(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

const STATUS_TEXT: Record<OpStatus, (u: OpUse) => string> = {
  supported: () => 'ok',
  'needs-opset': (u) => `needs opset ${u.lowestOpset}`,
  unsupported: () => 'not supported',
  builtin: () => 'builtin (computed while converting)',
};

/** `tsonnx inspect`'s text output. */
export function formatInspectReport(r: InspectReport | ModelInspectReport): string {
  if ('kind' in r) return formatModelReport(r);
  const lines: string[] = [];
  const a = r.archive;
  lines.push(`${r.path}`);
  lines.push(`  archive   file format version ${a.version}, ${a.byteorder}-endian, ${a.records} records, ${a.kind}`);
  lines.push(`  producer  ${a.producer}`);
  for (const h of a.hints) lines.push(`            ${h.evidence}: ${h.meaning}`);
  lines.push(`  forward   ${r.forward ? r.forward.signature : '(none)'}`);
  for (const m of r.methods) lines.push(`  method    ${m.signature}`);
  const t = r.totals;
  lines.push(`  weights   ${count(t.parameters)} parameters (${bytesText(t.parameterBytes)}), ${count(t.buffers)} buffer elements (${bytesText(t.bufferBytes)})`);
  if (r.exampleInputs) lines.push(`  inputs    ${r.exampleInputs.join(' ')} (stored by the trace)`);
  if (r.command) lines.push(`  convert   ${r.command}`);
  if (r.staticallyQuantized) {
    const engines = QUANTIZED_ENGINES.map((e) => `${e}${e === DEFAULT_QUANTIZED_ENGINE ? ', the default' : ''}: ${QUANTIZED_ENGINE_USES[e]}`).join('; ');
    lines.push(`  engine    statically quantized: its integers depend on the engine PyTorch ran it with, which the archive does not record; name it with --quantized-engine (${engines})`);
  }
  lines.push('', 'modules');
  const tree = (m: ModuleReport, depth: number) => {
    const name = m.path === '' ? '(root)' : m.path.split('.').at(-1);
    const label = `${'  '.repeat(depth + 1)}${name}  ${m.className.split('.').at(-1)}`;
    lines.push(`${label.padEnd(48)} ${count(m.parameters).padStart(12)}${m.buffers ? `  (+${count(m.buffers)} buffer)` : ''}`);
    for (const c of m.children) tree(c, depth + 1);
  };
  tree(r.modules, 0);
  const lowered = r.ops.filter((u) => u.status === 'supported').length;
  const tensorOps = r.ops.filter((u) => u.status !== 'builtin').length;
  lines.push('', `ops (${lowered} of ${tensorOps} tensor ops lowered at opset ${r.opset})`);
  const width = Math.max(0, ...r.ops.map((u) => u.op.length));
  for (const u of r.ops) lines.push(`  ${u.op.padEnd(width)}  ${String(u.calls).padStart(4)}  ${STATUS_TEXT[u.status](u)}`);
  return `${lines.join('\n')}\n`;
}

// ---------- ONNX models: state ----------

/** A state input of a model converted with `--lift-state`, as its metadata_props record it. */
export interface ModelState {
  /** The graph input to feed, and the output whose value feeds it on the next call. */
  name: string;
  output: string;
  /** The module attribute it carries (`_h`, `encoder.hidden`, `frames.0` for a tensor list's element). */
  attribute: string;
  dtype: string;
  /** A name is a dim that follows an input's (a dynamic batch). */
  shape: Array<number | string>;
  /** The first call's value: the archive's stored value (`values`), or zeros. */
  init: 'stored' | 'zeros';
  values?: number[];
  /** The first call's shape where the state has symbolic dims of its own (`<attribute>_dim<i>`, a history that grows). */
  initShape?: number[];
}

/** A number forward() updates that keeps one value from the second call on: the graph computes with it. */
export interface FoldedState {
  attribute: string;
  /** A string is the size of that input dim in each call (a batch size). */
  value: number | boolean | string;
  /** What the archive stores, which the module's first call reads. */
  stored: number | boolean | null;
}

/** What `tsonnx inspect model.onnx` reports. */
export interface ModelInspectReport {
  path: string;
  kind: 'onnx';
  irVersion: number;
  producer: string;
  opsets: Array<{ domain: string; version: number }>;
  inputs: Array<{ name: string; dtype: string; shape: Array<number | string> }>;
  outputs: Array<{ name: string; dtype: string; shape: Array<number | string> }>;
  /** metadata_props other than the state's. */
  metadata: Array<{ key: string; value: string }>;
  state: ModelState[];
  folded: FoldedState[];
}

/** The states and folded numbers a model's metadata_props record (keys `tsonnx.state.*`), and the rest. */
export function statesFromMetadata(props: ReadonlyArray<{ key: string; value: string }>): Pick<ModelInspectReport, 'state' | 'folded' | 'metadata'> {
  const state: ModelState[] = [];
  const folded: FoldedState[] = [];
  const metadata: ModelInspectReport['metadata'] = [];
  for (const { key, value } of props) {
    if (!key.startsWith(STATE_METADATA_PREFIX)) {
      metadata.push({ key, value });
      continue;
    }
    const parsed = JSON.parse(value) as Record<string, unknown>;
    if (key.startsWith(`${STATE_METADATA_PREFIX}folded.`)) folded.push(parsed as unknown as FoldedState);
    else state.push({ name: key.slice(STATE_METADATA_PREFIX.length), ...(parsed as Omit<ModelState, 'name'>) });
  }
  return { state, folded, metadata };
}

type StateArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array;

const STATE_ARRAYS: Record<string, (n: number) => StateArray> = {
  float32: (n) => new Float32Array(n),
  float64: (n) => new Float64Array(n),
  int64: (n) => new BigInt64Array(n),
  int32: (n) => new Int32Array(n),
  int16: (n) => new Int16Array(n),
  int8: (n) => new Int8Array(n),
  uint8: (n) => new Uint8Array(n),
  bool: (n) => new Uint8Array(n),
  // onnxruntime takes float16 as the raw 16-bit patterns.
  float16: (n) => new Uint16Array(n),
};

/**
 * The first call's value of a state, as onnxruntime's `new Tensor(dtype, data, dims)` takes it. `dims`
 * gives the size of each named dim (`{ batch: 3 }`) in a shape that follows an input's.
 */
export function initialState(state: ModelState, dims: Readonly<Record<string, number>> = {}): { dtype: string; data: StateArray; dims: number[] } {
  const shape = state.initShape ?? state.shape.map((d) => {
    if (typeof d === 'number') return d;
    const size = dims[d];
    if (size === undefined) fail('OPTION_INVALID', `state ${state.name} has the dim ${d}: give its size, e.g. { ${d}: 1 }`);
    return size;
  });
  const make = STATE_ARRAYS[state.dtype];
  if (!make) return fail('OPTION_INVALID', `state ${state.name} is ${state.dtype}, which has no initial value here`);
  const data = make(shape.reduce((a, b) => a * b, 1));
  if (state.init === 'stored' && state.values) {
    if (data instanceof BigInt64Array) state.values.forEach((v, i) => (data[i] = BigInt(v)));
    else if (state.dtype === 'float16') state.values.forEach((v, i) => (data[i] = float16Bits(v)));
    else state.values.forEach((v, i) => (data[i] = v));
  }
  return { dtype: state.dtype, data, dims: shape };
}

/** `tsonnx inspect model.onnx` as text. */
function formatModelReport(r: ModelInspectReport): string {
  const value = (v: ModelInspectReport['inputs'][number]) => `${v.name}: ${v.dtype}[${v.shape.join(',')}]`;
  const lines = [`${r.path}`, `  model     ONNX IR ${r.irVersion}, ${r.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}${r.producer ? `, by ${r.producer}` : ''}`];
  for (const i of r.inputs) lines.push(`  input     ${value(i)}`);
  for (const o of r.outputs) lines.push(`  output    ${value(o)}`);
  for (const m of r.metadata) lines.push(`  metadata  ${m.key} = ${m.value.length > 100 ? `${m.value.slice(0, 97)}...` : m.value}`);
  if (r.state.length || r.folded.length) {
    lines.push('', 'state (feed each output back as the next call\'s input)');
    for (const s of r.state) {
      const first = s.init === 'zeros' ? 'zeros' : `stored value (${s.values?.length ?? 0} elements in the metadata)`;
      lines.push(`  ${s.name}: ${s.dtype}[${s.shape.join(',')}]  from ${s.output}, attribute ${s.attribute}; first call: ${first}`);
    }
    for (const f of r.folded) {
      const value = typeof f.value === 'string' ? `the size of dim ${f.value}` : String(f.value);
      lines.push(`  ${f.attribute} = ${value} in the graph (stored ${String(f.stored)}, read by the first PyTorch call)`);
    }
  }
  return `${lines.join('\n')}\n`;
}
