#!/usr/bin/env node
/** Command line: `tsonnx model.pt model.onnx --input float32[1,3,224,224]` and `tsonnx inspect model.pt`. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Chalk, type ChalkInstance } from 'chalk';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { startFileDigest } from './archive/digest.js';
import { convertBatch, planBatch, type BatchResult } from './batch.js';
import { checkModel, requireFinite, type CheckReport } from './check.js';
import { parseDynamicAxes, parseOperatorExportType, parseTrainingMode, readExportConfig } from './config.js';
import type { ConvertOptions, ConvertReport, ConvertStage } from './convert.js';
import { errorRecord, TsonnxError } from './errors.js';
import { resolveOutput, STDOUT_PATH } from './onnx/output-target.js';
import { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET } from './onnx/versions.js';
import { DEFAULT_QUANTIZED_ENGINE, parseQuantizedEngine, QUANTIZED_ENGINE_USES, QUANTIZED_ENGINES } from './ops/quantized-engine.js';
import { parseInputSpec } from './trace/inputs.js';
import { packageVersion } from './version.js';

/** Colours only on a terminal, and never when NO_COLOR is set (to anything) or TERM=dumb. */
function colourFor(stream: NodeJS.WriteStream): ChalkInstance {
  const enabled = Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  return new Chalk({ level: enabled ? 1 : 0 });
}

const err = colourFor(process.stderr);

const GROUP = {
  inputs: 'Inputs:',
  model: 'ONNX model:',
  exporter: 'torch.onnx.export options:',
  output: 'Output and reporting:',
} as const;

/** Repeatable --input, each spec checked as it is given so bad syntax is a usage error. */
function collectInputSpec(value: string, previous: string[] | undefined): string[] {
  parsed(parseInputSpec)(value);
  return [...(previous ?? []), value];
}

function opset(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  const n = Number(value);
  if (n < MIN_OPSET || n > MAX_OPSET) throw new InvalidArgumentError(`opset ${n} is not supported; choose ${MIN_OPSET} to ${MAX_OPSET}`);
  return n;
}

/** Comma-separated names; an empty one (`a,,b`) would shift every later name to the wrong value. */
function list(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((name) => name === '')) throw new InvalidArgumentError('expected comma-separated names, none empty');
  return names;
}

/** An option parser whose TsonnxError becomes commander's usage error. */
function parsed<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (e) {
      if (e instanceof TsonnxError) throw new InvalidArgumentError(e.message);
      throw e;
    }
  };
}

function dynamicAxesJson(value: string): NonNullable<ConvertOptions['dynamicAxes']> {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('not JSON; use {"x": {"0": "batch"}} or {"x": [0]}');
  }
  return parseDynamicAxes(json, '--dynamic-axes');
}

function customOpset(value: string, previous: Record<string, number> | undefined): Record<string, number> {
  const m = /^([^=\s]+)=(\d+)$/.exec(value.trim());
  if (!m || Number(m[2]) < 1) throw new InvalidArgumentError('expected domain=version, e.g. com.example=2');
  return { ...previous, [m[1]]: Number(m[2]) };
}

const STAGE_TEXT: Record<ConvertStage, string> = {
  archive: 'reading the archive',
  trace: 'tracing',
  passes: 'optimising the graph',
  lower: 'lowering to ONNX',
  write: 'writing',
};

/**
 * One status line on stderr, updated in place and cleared at the end. It appears only once the work
 * has taken a while, so quick conversions print nothing extra; the caller shows it only on a terminal.
 */
class Progress {
  private static readonly DELAY_SECONDS = 0.5;
  private static readonly FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  private readonly start = performance.now();
  private readonly timer: NodeJS.Timeout;
  private label = '';
  private frame = 0;
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.timer = setInterval(() => this.render(), 100);
    this.timer.unref();
  }

  update(label: string): void {
    this.label = label;
    this.render();
  }

  private render(): void {
    const seconds = (performance.now() - this.start) / 1000;
    if (seconds < Progress.DELAY_SECONDS) return;
    this.shown = true;
    const frame = Progress.FRAMES[this.frame++ % Progress.FRAMES.length];
    this.stream.write(`\r\x1b[K${err.cyan(frame)} ${this.label} ${err.dim(`${seconds.toFixed(1)} s`)}`);
  }

  done(): void {
    clearInterval(this.timer);
    if (this.shown) this.stream.write('\r\x1b[K');
  }
}

function shapeText(shape: ReadonlyArray<number | string>): string {
  return `[${shape.join(',')}]`;
}

function nodeCount(report: ConvertReport): number {
  return Object.values(report.nodes).reduce((a, b) => a + b, 0);
}

function printSummary(report: ConvertReport): void {
  const io = (vs: ConvertReport['inputs']) => vs.map((v) => `${v.name}: ${v.dtype}${shapeText(v.shape)}`).join(', ');
  const total = Object.values(report.seconds).reduce((a, b) => a + b, 0);
  const nodes = nodeCount(report);
  const written = report.output === STDOUT_PATH ? 'standard output' : report.output;
  process.stderr.write(
    `${err.green('wrote')} ${written} (opset ${report.opset}, ${nodes} nodes, ${report.write.initializers} initializers, ${(report.write.bytes / 1e6).toFixed(1)} MB) in ${total.toFixed(2)} s\n` +
      `  inputs  ${io(report.inputs)}\n  outputs ${io(report.outputs)}\n`,
  );
}

function printCheck(check: CheckReport): void {
  const outputs = check.outputs.map((o) => `${o.name}: ${o.dtype}${shapeText(o.shape)}${o.nonFinite ? ` (${o.nonFinite} not finite)` : ''}`).join(', ');
  const verdict = check.finite ? err.green('checked') : err.yellow('checked');
  process.stderr.write(`${verdict} in onnxruntime ${check.runtime} on random inputs (${check.seconds.toFixed(2)} s): ${outputs}\n`);
}

interface ConvertFlags {
  input?: string[];
  method: string;
  liftState?: boolean;
  stateInit?: ConvertOptions['stateInit'];
  opset?: number;
  inputNames?: string[];
  outputNames?: string[];
  dynamicAxes?: ConvertOptions['dynamicAxes'];
  exportParams?: boolean;
  keepInitializersAsInputs?: boolean;
  customOpset?: Record<string, number>;
  config?: string;
  training?: ConvertOptions['training'];
  operatorExportType?: ConvertOptions['operatorExportType'];
  constantFolding: boolean;
  verbose?: boolean;
  json?: boolean;
  quiet?: boolean;
  check?: boolean;
  strict?: boolean;
  fp16?: boolean;
  fp16Io?: boolean;
  quantizedEngine?: ConvertOptions['quantizedEngine'];
}

/** Command-line flag → the option it sets. Only flags actually given override the config file. */
const FLAG_OPTIONS: ReadonlyArray<[keyof ConvertFlags, keyof ConvertOptions]> = [
  ['input', 'inputs'],
  ['method', 'method'],
  ['liftState', 'liftState'],
  ['stateInit', 'stateInit'],
  ['opset', 'opsetVersion'],
  ['inputNames', 'inputNames'],
  ['outputNames', 'outputNames'],
  ['dynamicAxes', 'dynamicAxes'],
  ['exportParams', 'exportParams'],
  ['keepInitializersAsInputs', 'keepInitializersAsInputs'],
  ['customOpset', 'customOpsets'],
  ['training', 'training'],
  ['operatorExportType', 'operatorExportType'],
  ['constantFolding', 'doConstantFolding'],
  ['verbose', 'verbose'],
  ['strict', 'strict'],
  ['fp16', 'fp16'],
  ['fp16Io', 'fp16Io'],
  ['quantizedEngine', 'quantizedEngine'],
];

/** The options for converting `archive`: the config's (its matching `files` entries included), then the flags given. */
function convertOptions(flags: ConvertFlags, command: Command, archive: string): ConvertOptions {
  const options: Record<string, unknown> = flags.config ? { ...readExportConfig(flags.config, archive) } : {};
  for (const [flag, option] of FLAG_OPTIONS) {
    if (command.getOptionValueSource(flag) === 'cli') options[option] = flags[flag];
  }
  return options as ConvertOptions;
}

async function runConvert(model: string, output: string, flags: ConvertFlags, command: Command): Promise<number> {
  const options = convertOptions(flags, command, model);
  const progress = process.stderr.isTTY && !flags.quiet ? new Progress(process.stderr) : undefined;
  let report: ConvertReport;
  let check: CheckReport | undefined;
  try {
    // Loaded here, not at start-up: --help, --version and usage errors need none of the converter.
    const { convert } = await import('./convert.js');
    report = await convert(model, output, { ...options, onStage: (stage) => progress?.update(STAGE_TEXT[stage]) });
    if (flags.check) {
      progress?.update('running in onnxruntime');
      const sizes = (options.inputs ?? []).map(parseInputSpec).flatMap((s) => (s.kind === 'tensor' ? [s.shape] : []));
      check = await checkModel(report.output, report.inputs, { sizes, quiet: flags.quiet });
    }
  } finally {
    progress?.done();
  }
  if (!flags.quiet) {
    for (const w of report.warnings) process.stderr.write(`${err.yellow('warning:')} ${w.code}: ${w.message}\n`);
    if (report.graph) process.stderr.write(report.graph);
  }
  // After the report, so the values' counts are shown; the written model stays for inspection.
  let failure: unknown;
  try {
    if (check) requireFinite(check, report.output);
  } catch (e) {
    failure = e;
  }
  if (flags.json) {
    const outcome = failure === undefined ? { ok: true } : { ok: false, error: errorRecord(failure) };
    // Provenance for release pipelines: which tsonnx made which file from which archive.
    const { source, ...rest } = report;
    const provenance = {
      tsonnxVersion: packageVersion(),
      input: source,
      // A FIFO or device cannot be read back.
      ...(resolveOutput(output).kind === 'file' ? { outputSha256: await startFileDigest(report.output).sha256 } : {}),
    };
    process.stdout.write(`${JSON.stringify({ ...outcome, ...provenance, ...rest, ...(check ? { check } : {}) }, null, 2)}\n`);
  } else if (!flags.quiet) {
    printSummary(report);
    if (check) printCheck(check);
  }
  if (failure === undefined) return 0;
  // The JSON report already says it failed; the error line still goes to stderr.
  if (flags.json) return reportError(failure);
  throw failure;
}

/**
 * Combinations that cannot work, refused before any conversion as usage errors: the model and the
 * JSON report cannot share standard output, and --check must load the written file again, which a
 * FIFO, device or standard output cannot give back.
 */
function refuseOutputConflicts(output: string, flags: ConvertFlags, command: Command): void {
  if (flags.json && output === STDOUT_PATH) {
    command.error('error: --json prints the report on standard output, where output - writes the model; write the model to a file', { exitCode: 2 });
  }
  if (flags.check) {
    const target = resolveOutput(output);
    if (target.kind !== 'file') {
      const what = target.kind === 'stdout' ? 'standard output' : `${target.path}, ${target.what}`;
      command.error(`error: --check loads the written model again, which it cannot from ${what}; write the model to a file`, { exitCode: 2 });
    }
  }
}

interface BatchFlags extends ConvertFlags {
  outputDir: string;
  jobs?: number;
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return Number(value);
}

/** `tsonnx convert`: every archive in its own row; exit 0 only when all converted. */
async function runBatch(inputs: string[], flags: BatchFlags, command: Command): Promise<number> {
  const items = planBatch(inputs, flags.outputDir);
  const progress = process.stderr.isTTY && !flags.quiet && !flags.json;
  const start = performance.now();
  const options = items.map((item) => convertOptions(flags, command, item.input));
  const results = await convertBatch(items, options, {
    jobs: flags.jobs ?? availableParallelism(),
    onResult: (r, done, total) => {
      if (progress) process.stderr.write(`[${done}/${total}] ${r.ok ? err.green('ok') : err.red('failed')} ${r.input}\n`);
    },
  });
  const seconds = (performance.now() - start) / 1000;
  if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else if (!flags.quiet) process.stderr.write(batchTable(results, seconds));
  for (const r of results) if (!r.ok && r.error) process.stderr.write(`${err.red('tsonnx:')} ${r.input}: ${r.error.code}: ${r.error.message}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

function batchTable(results: readonly BatchResult[], seconds: number): string {
  const rows = results.map((r) => [
      r.input,
      r.ok ? 'ok' : `failed: ${r.error?.code}`,
      r.report ? String(r.report.opset) : '',
      r.report ? String(nodeCount(r.report)) : '',
      r.report ? (r.report.write.bytes / 1e6).toFixed(1) : '',
      r.seconds.toFixed(2),
      r.report ? String(r.report.warnings.length) : '',
  ]);
  const header = ['file', 'status', 'opset', 'nodes', 'MB', 'seconds', 'warnings'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const converted = results.filter((r) => r.ok).length;
  return `${[line(header), ...rows.map(line)].join('\n')}\n${converted} of ${results.length} converted in ${seconds.toFixed(1)} s\n`;
}

async function runInspect(model: string, flags: { json?: boolean; opset?: number }): Promise<number> {
  const { formatInspectReport, inspectFile } = await import('./inspect.js');
  const report = await inspectFile(model, { opset: flags.opset });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const out = colourFor(process.stdout);
  const text = formatInspectReport(report)
    .replace(/ (not supported|needs opset \d+)$/gm, (m) => out.red(m))
    .replace(/ ok$/gm, (m) => out.green(m));
  process.stdout.write(text);
  return 0;
}

/** With --json a failure before any report is a JSON object on standard output too, for scripts that read only that. */
function reportJsonFailure(e: unknown): never {
  process.stdout.write(`${JSON.stringify({ ok: false, error: errorRecord(e) }, null, 2)}\n`);
  throw e;
}

function reportError(e: unknown): number {
  if (e instanceof TsonnxError) {
    process.stderr.write(`${err.red('tsonnx:')} ${e.format()}\n`);
    return 1;
  }
  // A bug in tsonnx is still a failed conversion (1); 2 is kept for usage errors.
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${err.red('tsonnx: internal error:')} ${message.split('\n')[0]}\n`);
  if (process.env.TSONNX_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return 1;
}

/**
 * Usage errors are one line with the code USAGE (commander's suggestions joined onto it), then the
 * hint line, which commander passes through here too.
 */
function writeUsageError(message: string, write: (text: string) => void): void {
  const text = message.trim().replace(/\s*\n\s*/g, ' ');
  const error = /^error: /.exec(text);
  write(error ? `${err.red('tsonnx:')} USAGE: ${text.slice(error[0].length)}\n` : `${text}\n`);
}

/** Levenshtein distance, for `inspekt` → `inspect`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current.push(Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = current;
  }
  return previous[b.length];
}

/** `tsonnx inspekt m.pt` reads as converting a file named inspekt: when there is no such file, say what was meant. */
function refuseMistypedCommand(model: string, command: Command): void {
  if (existsSync(model)) return;
  const meant = command.commands.map((c) => c.name()).find((c) => c !== model && editDistance(model, c) <= 2);
  if (meant) command.error(`error: unknown command '${model}' (and no file of that name); did you mean '${meant}'?`, { exitCode: 2 });
}

/** An option listed under `group` in the help. */
function option(flags: string, description: string, group: string): Option {
  return new Option(flags, description).helpGroup(group);
}

/** The options that say how an archive converts: torch.onnx.export's arguments and the inputs. */
function addConversionOptions(command: Command): Command {
  return command
    .addOption(option('-i, --input <spec>', 'one per forward() argument, in order: dtype[d0,d1,...] for a tensor (a name as a dim makes it dynamic), [dtype[...],dtype[...]] for a List[Tensor], or a JSON literal (16000, 0.5, true, null)', GROUP.inputs).argParser(collectInputSpec))
    .addOption(option('--method <name>', 'method of the root module to convert', GROUP.inputs).default('forward'))
    .addOption(option('--lift-state', 'module state forward() writes (tensors, tensor lists, counters) becomes extra inputs <attr> and outputs <attr>_out, typed as the model keeps it from call to call', GROUP.inputs))
    .addOption(option('--state-init <mode>', 'the first call\'s state the model\'s metadata records with --lift-state: auto (stored where it fits, else zeros; default), stored or zeros', GROUP.inputs).choices(['auto', 'stored', 'zeros']))
    .addOption(option('--opset <n>', `ONNX opset, ${MIN_OPSET} to ${MAX_OPSET} (opset_version; default ${DEFAULT_OPSET})`, GROUP.model).argParser(opset))
    .addOption(option('--input-names <names>', 'comma-separated graph input names (input_names)', GROUP.model).argParser(list))
    .addOption(option('--output-names <names>', 'comma-separated graph output names (output_names)', GROUP.model).argParser(list))
    .addOption(option('--dynamic-axes <json>', 'dims to keep symbolic, {"x": {"0": "batch"}} or {"x": [0]} (dynamic_axes)', GROUP.model).argParser(parsed(dynamicAxesJson)))
    .addOption(option('--export-params', 'store the weights as initializers (export_params; the default)', GROUP.model))
    .addOption(option('--no-export-params', 'no initializers: weights become graph inputs after the real inputs', GROUP.model))
    .addOption(option('--keep-initializers-as-inputs', 'also list initializers as graph inputs (keep_initializers_as_inputs; forced below opset 9)', GROUP.model))
    .addOption(option('--no-keep-initializers-as-inputs', 'do not list initializers as inputs (the default with --operator-export-type onnx)', GROUP.model))
    .addOption(option('--fp16', 'weights and compute in float16 (as module.half() on half inputs); inputs and outputs stay float32', GROUP.model))
    .addOption(option('--fp16-io', 'with --fp16: float32 inputs and outputs become float16 too', GROUP.model))
    .addOption(option('--quantized-engine <name>', `the quantized engine whose integer arithmetic a quantized model's ops reproduce, as torch.backends.quantized.engine was when PyTorch ran it (the archive does not record it): ${QUANTIZED_ENGINES.map((e) => `${e} (${QUANTIZED_ENGINE_USES[e]})`).join(', ')}; default ${DEFAULT_QUANTIZED_ENGINE}`, GROUP.model).argParser(parsed((v) => parseQuantizedEngine(v, '--quantized-engine'))))
    .addOption(option('--custom-opset <domain=version>', 'opset version of a custom domain, repeatable (custom_opsets)', GROUP.model).argParser(customOpset))
    .addOption(option('--config <file>', 'JSON object of torch.onnx.export keyword arguments (and tsonnx\'s, and per-file ones under "files"); flags given here win', GROUP.exporter))
    .addOption(option('--training <mode>', 'eval (default), preserve or training (training)', GROUP.exporter).argParser(parsed((v) => parseTrainingMode(v, '--training'))))
    .addOption(option('--operator-export-type <type>', 'onnx (default), onnx_aten, onnx_aten_fallback or onnx_fallthrough (operator_export_type)', GROUP.exporter).argParser(parsed((v) => parseOperatorExportType(v, '--operator-export-type'))))
    .addOption(option('--no-constant-folding', 'keep constant subgraphs and BatchNorm layers as they are (do_constant_folding=False)', GROUP.exporter))
    .addOption(option('--verbose', 'keep each node\'s source location as its doc_string and print the graph on stderr (verbose)', GROUP.exporter))
    .addOption(option('--strict', 'fail (exit 1, nothing written) on any warning: state writes not kept, dropped data-dependent checks, ...', GROUP.output));
}

function program(setStatus: (status: Promise<number>) => void): Command {
  const root = new Command()
    .name('tsonnx')
    .description('Convert a TorchScript archive (torch.jit.save) to ONNX, without Python or libtorch.\nOptions follow torch.onnx.export; its keyword names are given in parentheses.')
    .argument('<model>', 'TorchScript archive (.pt)')
    .argument('<output>', 'ONNX file to write; - for standard output')
    .enablePositionalOptions()
    .configureOutput({ outputError: writeUsageError })
    .showHelpAfterError("run 'tsonnx --help' for usage")
    .exitOverride();
  addConversionOptions(root)
    .addOption(option('--json', 'print a JSON report on stdout', GROUP.output))
    .addOption(option('-q, --quiet', 'print nothing but errors', GROUP.output))
    .addOption(option('--check', 'run the written model once in onnxruntime-node on random inputs', GROUP.output))
    .optionsGroup(GROUP.output)
    .version(packageVersion(), '-V, --version', 'print the version')
    .addHelpOption(new Option('-h, --help', 'show this help').helpGroup(GROUP.output))
    .addHelpText('after', [
      '',
      'Examples:',
      "  tsonnx model.pt model.onnx --input 'float32[1,3,224,224]'",
      "  tsonnx model.pt model.onnx --input 'float32[batch,3,224,224]' --opset 13 --input-names image --check",
      '  tsonnx model.pt model.onnx --config export.json --json > report.json',
      '  tsonnx inspect model.pt',
    ].join('\n'))
    .action((model: string, output: string, flags: ConvertFlags, command: Command) => {
      refuseOutputConflicts(output, flags, command);
      refuseMistypedCommand(model, command);
      const run = runConvert(model, output, flags, command);
      setStatus(flags.json ? run.catch(reportJsonFailure) : run);
    });
  root
    .command('inspect')
    .description('show what an archive holds: modules, forward() signature, parameters, producer hints, and the ops its code uses; of an ONNX model: its inputs, outputs, metadata and the state --lift-state recorded')
    .argument('<model>', 'TorchScript archive (.pt) or ONNX model (.onnx)')
    .option('--json', 'print the report as JSON on stdout')
    .option('--opset <n>', `judge op support at this opset (default ${DEFAULT_OPSET})`, opset)
    .addHelpOption(new Option('-h, --help', 'show this help'))
    .showHelpAfterError("run 'tsonnx inspect --help' for usage")
    .action((model: string, flags: { json?: boolean; opset?: number }) => {
      const run = runInspect(model, flags);
      setStatus(flags.json ? run.catch(reportJsonFailure) : run);
    });
  const batch = root
    .command('convert')
    .description('convert many archives (files, and the .pt/.pth/.ptl/.jit/.pt1/.zip files in folders) in parallel; options apply to each')
    .argument('<inputs...>', 'archives and folders of archives')
    .requiredOption('-o, --output-dir <dir>', 'folder for the .onnx files (a folder\'s archives keep their paths below it)')
    .addOption(new Option('-j, --jobs <n>', 'conversions at once, each in a worker thread (default: the number of cores)').argParser(positiveInt))
    .showHelpAfterError("run 'tsonnx convert --help' for usage");
  addConversionOptions(batch)
    .option('--json', 'print the results as a JSON array on stdout')
    .option('-q, --quiet', 'print nothing but the failures')
    .addHelpOption(new Option('-h, --help', 'show this help'))
    .action((inputs: string[], flags: BatchFlags, command: Command) => setStatus(runBatch(inputs, flags, command)));
  root
    .command('help')
    .description('show the help of tsonnx, or of a command')
    .argument('[command]', 'convert or inspect')
    .action((name: string | undefined) => {
      const command = name === undefined ? root : root.commands.find((c) => c.name() === name);
      if (!command) root.error(`error: unknown command '${name}'; the commands are ${root.commands.map((c) => c.name()).join(', ')}`, { exitCode: 2 });
      else command.outputHelp();
    });
  return root;
}

async function main(argv: string[]): Promise<number> {
  let status: Promise<number> = Promise.resolve(0);
  try {
    await program((s) => (status = s)).parseAsync(argv);
  } catch (e) {
    // Help and version end parsing with exit code 0; any other commander error is a usage error.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    return reportError(e);
  }
  try {
    return await status;
  } catch (e) {
    return reportError(e);
  }
}

process.exitCode = await main(process.argv);
