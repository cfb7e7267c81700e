/**
 * `--config export.json`: torch.onnx.export's keyword arguments as a JSON object, so a Python call
 * `torch.onnx.export(m, args, f, opset_version=13, input_names=["x"])` maps one to one onto tsonnx's
 * options. Enum values may be written as Python prints them (`TrainingMode.EVAL`,
 * `OperatorExportTypes.ONNX_ATEN`) or bare (`eval`, `onnx_aten`); `null` means torch's default.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ConvertOptions, OperatorExportType, TrainingMode } from './convert.js';
import { fail } from './errors.js';
import { parseQuantizedEngine } from './ops/quantized-engine.js';
import type { StateInit } from './trace/state.js';

export { exportKwargsOf } from './pipeline.js';

type DynamicAxes = NonNullable<ConvertOptions['dynamicAxes']>;

const TRAINING_MODES: readonly TrainingMode[] = ['eval', 'preserve', 'training'];
const OPERATOR_EXPORT_TYPES: readonly OperatorExportType[] = ['onnx', 'onnx_aten', 'onnx_aten_fallback', 'onnx_fallthrough'];

/** `TrainingMode.EVAL`, `EVAL` or `eval` → `eval`. */
export function parseTrainingMode(value: unknown, what = 'training'): TrainingMode {
  const mode = typeof value === 'string' ? value.replace(/^TrainingMode\./, '').toLowerCase() : undefined;
  if (mode && (TRAINING_MODES as readonly string[]).includes(mode)) return mode as TrainingMode;
  return fail('OPTION_INVALID', `${what} must be one of ${TRAINING_MODES.join(', ')} (or TrainingMode.EVAL, ...), not ${JSON.stringify(value)}`);
}

/** `OperatorExportTypes.ONNX_ATEN`, `ONNX_ATEN` or `onnx_aten` → `onnx_aten`. */
export function parseOperatorExportType(value: unknown, what = 'operator_export_type'): OperatorExportType {
  const type = typeof value === 'string' ? value.replace(/^OperatorExportTypes\./, '').toLowerCase() : undefined;
  if (type && (OPERATOR_EXPORT_TYPES as readonly string[]).includes(type)) return type as OperatorExportType;
  return fail(
    'OPTION_INVALID',
    `${what} must be one of ${OPERATOR_EXPORT_TYPES.join(', ')} (or OperatorExportTypes.ONNX_ATEN, ...), not ${JSON.stringify(value)}`,
  );
}

/** dynamic_axes in either of torch's forms: `{"x": {"0": "batch"}}` or `{"x": [0]}`. */
export function parseDynamicAxes(value: unknown, what = 'dynamic_axes'): DynamicAxes {
  if (!isObject(value)) return fail('OPTION_INVALID', `${what} must be an object such as {"x": {"0": "batch"}} or {"x": [0]}`);
  const out: Record<string, Record<string, string> | number[]> = {};
  for (const [name, axes] of Object.entries(value)) {
    if (Array.isArray(axes)) {
      if (!axes.every((a) => Number.isInteger(a) && a >= 0)) fail('OPTION_INVALID', `${what} for ${name}: a list must hold axis numbers`);
      out[name] = axes as number[];
    } else if (isObject(axes)) {
      const named: Record<string, string> = {};
      for (const [axis, dim] of Object.entries(axes)) {
        if (!/^\d+$/.test(axis)) fail('OPTION_INVALID', `${what} for ${name}: axis ${axis} is not a whole number`);
        if (typeof dim !== 'string' || dim === '') fail('OPTION_INVALID', `${what} for ${name}: the name of axis ${axis} must be a string`);
        named[axis] = dim;
      }
      out[name] = named;
    } else {
      fail('OPTION_INVALID', `${what} for ${name} must be {axis: name} or a list of axes`);
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bool(key: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail('OPTION_INVALID', `${key} must be true or false`);
  return v;
}

function names(key: string, v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail('OPTION_INVALID', `${key} must be a list of strings`);
  return v;
}

function opsets(key: string, v: unknown): Record<string, number> {
  if (!isObject(v) || !Object.values(v).every((n) => Number.isInteger(n) && (n as number) > 0)) {
    fail('OPTION_INVALID', `${key} must map domain names to opset versions, e.g. {"com.example": 2}`);
  }
  return v as Record<string, number>;
}

type Setter = (options: ConvertOptions, value: unknown, key: string) => void;

/** torch.onnx.export keyword → how it sets tsonnx's option. */
const KEYWORDS: Record<string, Setter> = {
  opset_version: (o, v, k) => {
    if (!Number.isInteger(v)) fail('OPTION_INVALID', `${k} must be a whole number`);
    o.opsetVersion = v as number;
  },
  input_names: (o, v, k) => (o.inputNames = names(k, v)),
  output_names: (o, v, k) => (o.outputNames = names(k, v)),
  dynamic_axes: (o, v, k) => (o.dynamicAxes = parseDynamicAxes(v, k)),
  export_params: (o, v, k) => (o.exportParams = bool(k, v)),
  do_constant_folding: (o, v, k) => (o.doConstantFolding = bool(k, v)),
  training: (o, v, k) => (o.training = parseTrainingMode(v, k)),
  operator_export_type: (o, v, k) => (o.operatorExportType = parseOperatorExportType(v, k)),
  keep_initializers_as_inputs: (o, v, k) => (o.keepInitializersAsInputs = bool(k, v)),
  custom_opsets: (o, v, k) => (o.customOpsets = opsets(k, v)),
  verbose: (o, v, k) => (o.verbose = bool(k, v)),
};

const STATE_INITS: readonly StateInit[] = ['auto', 'stored', 'zeros'];

function stateInit(key: string, v: unknown): StateInit {
  if (!(STATE_INITS as readonly unknown[]).includes(v)) fail('OPTION_INVALID', `${key} must be one of ${STATE_INITS.join(', ')}`);
  return v as StateInit;
}

function text(key: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') fail('OPTION_INVALID', `${key} must be a non-empty string`);
  return v;
}

/** tsonnx's own options, under the names its metadata records them (`tsonnx.conversion_options`). */
const OWN_KEYWORDS: Record<string, Setter> = {
  inputs: (o, v, k) => (o.inputs = names(k, v)),
  method: (o, v, k) => (o.method = text(k, v)),
  lift_state: (o, v, k) => (o.liftState = bool(k, v)),
  state_init: (o, v, k) => (o.stateInit = stateInit(k, v)),
  fp16: (o, v, k) => (o.fp16 = bool(k, v)),
  fp16_io: (o, v, k) => (o.fp16Io = bool(k, v)),
  quantized_engine: (o, v, k) => (o.quantizedEngine = parseQuantizedEngine(v, k)),
};

/** The torch.onnx.export keyword names a config may use. */
export const CONFIG_KEYS: readonly string[] = Object.keys(KEYWORDS);
/** The keys a config may use for tsonnx's own options. */
export const OWN_CONFIG_KEYS: readonly string[] = Object.keys(OWN_KEYWORDS);

const SETTERS: Record<string, Setter> = { ...KEYWORDS, ...OWN_KEYWORDS };

/** Applies one level of a config (the top or one `files` entry) to `options`. */
function applyKeywords(options: ConvertOptions, config: Record<string, unknown>, source: string, allowed: ReadonlySet<string>): void {
  const unknown = Object.keys(config).filter((k) => !allowed.has(k));
  if (unknown.length) {
    fail(
      'OPTION_INVALID',
      `${source}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected torch.onnx.export keywords: ${CONFIG_KEYS.join(', ')}` +
        `; tsonnx's own: ${OWN_CONFIG_KEYS.join(', ')}${allowed.has('files') ? '; files' : ''}`,
    );
  }
  for (const [key, value] of Object.entries(config)) {
    if (key !== 'files' && value !== null) SETTERS[key](options, value, `${source}: ${key}`);
  }
}

/**
 * Whether an archive path matches a `files` glob: `*` matches any characters but `/`, `**` any
 * characters, `?` one character but `/`. A glob with a `/` matches the path as it was found (given,
 * or below a given folder); one without matches the file name.
 */
export function globMatches(glob: string, path: string): boolean {
  const pattern = glob
    .split(/(\*\*\/?|\*|\?)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const subject = glob.includes('/') ? path.replaceAll('\\', '/').replace(/^\.\//, '') : basename(path);
  return new RegExp(`^${pattern}$`).test(subject);
}

/**
 * Options from a parsed config object; `source` names it in errors. Its `files` entries (glob →
 * keywords) apply, in order, to the archive at `archive` when the glob matches it; every entry is
 * checked either way.
 */
export function optionsFromExportKwargs(config: unknown, source = 'the config', archive?: string): ConvertOptions {
  if (!isObject(config)) fail('OPTION_INVALID', `${source} must hold a JSON object of torch.onnx.export keyword arguments`);
  const options: ConvertOptions = {};
  applyKeywords(options, config, source, new Set([...Object.keys(SETTERS), 'files']));
  const files = config.files ?? {};
  if (!isObject(files)) fail('OPTION_INVALID', `${source}: files must map file globs to objects of keyword arguments`);
  for (const [glob, entry] of Object.entries(files)) {
    const where = `${source}: files: ${glob}`;
    if (!isObject(entry)) fail('OPTION_INVALID', `${where} must be an object of keyword arguments`);
    applyKeywords(archive !== undefined && globMatches(glob, archive) ? options : {}, entry, where, new Set(Object.keys(SETTERS)));
  }
  return options;
}

/** Reads `--config export.json`; with `archive`, its `files` entries matching that path apply. */
export function readExportConfig(path: string, archive?: string): ConvertOptions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return fail('INPUT_NOT_FOUND', `config ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    return fail('OPTION_INVALID', `config ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return optionsFromExportKwargs(config, path, archive);
}
