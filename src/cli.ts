#!/usr/bin/env node
/** Command line: `tsonnx model.pt model.onnx --input float32[1,3,224,224]`. */
import { Chalk } from 'chalk';
import { Command, InvalidArgumentError } from 'commander';
import { convert, DEFAULT_OPSET, type ConvertReport, type TrainingMode } from './convert.js';
import { TsonnxError } from './errors.js';

const colour = new Chalk({ level: process.stderr.isTTY && !('NO_COLOR' in process.env) ? 1 : 0 });

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function printSummary(report: ConvertReport): void {
  const shape = (s: Array<number | string>) => `[${s.join(',')}]`;
  const io = (vs: ConvertReport['inputs']) => vs.map((v) => `${v.name}: ${v.dtype}${shape(v.shape)}`).join(', ');
  const total = Object.values(report.seconds).reduce((a, b) => a + b, 0);
  const nodes = Object.values(report.nodes).reduce((a, b) => a + b, 0);
  process.stderr.write(
    `${colour.green('wrote')} ${report.output} (opset ${report.opset}, ${nodes} nodes, ${report.write.initializers} initializers, ${(report.write.bytes / 1e6).toFixed(1)} MB) in ${total.toFixed(2)} s\n` +
      `  inputs  ${io(report.inputs)}\n  outputs ${io(report.outputs)}\n`,
  );
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('tsonnx')
    .description('Convert a TorchScript archive (torch.jit.save) to ONNX, without Python or libtorch.')
    .argument('<model>', 'TorchScript archive (.pt)')
    .argument('<output>', 'ONNX file to write')
    .option('-i, --input <spec>', 'one per forward() argument, in order: dtype[d0,d1,...] for a tensor, or a JSON literal (16000, 0.5, true, null)', collect, [])
    .option('--opset <n>', `ONNX opset version (7 to 21, default ${DEFAULT_OPSET})`, integer)
    .option('--training <mode>', 'eval, preserve or training (as torch.onnx.export\'s training)', 'eval')
    .option('--input-names <names>', 'comma-separated graph input names', list)
    .option('--output-names <names>', 'comma-separated graph output names', list)
    .option('--no-constant-folding', 'keep constant subgraphs and BatchNorm layers as they are')
    .option('--method <name>', 'method of the root module to convert', 'forward')
    .option('--lift-state', 'tensor attributes forward() writes become extra inputs <attr> and outputs <attr>_out')
    .option('--verbose', 'keep each node\'s TorchScript source location as its doc_string')
    .option('--json', 'print a JSON report on stdout')
    .option('-q, --quiet', 'print nothing but errors')
    .showHelpAfterError()
    .exitOverride();
  try {
    program.parse(argv);
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code ?? 2;
  }
  const [model, output] = program.args;
  const o = program.opts<{
    input: string[]; opset?: number; training: string; inputNames?: string[]; outputNames?: string[];
    constantFolding: boolean; method: string; liftState?: boolean; verbose?: boolean; json?: boolean; quiet?: boolean;
  }>();
  if (!['eval', 'preserve', 'training'].includes(o.training)) {
    process.stderr.write(`tsonnx: OPTION_INVALID: --training must be eval, preserve or training\n`);
    return 2;
  }
  try {
    const report = await convert(model, output, {
      inputs: o.input,
      opsetVersion: o.opset,
      training: o.training as TrainingMode,
      inputNames: o.inputNames,
      outputNames: o.outputNames,
      doConstantFolding: o.constantFolding,
      method: o.method,
      liftState: o.liftState,
      verbose: o.verbose,
    });
    if (!o.quiet) for (const w of report.warnings) process.stderr.write(`${colour.yellow('warning:')} ${w}\n`);
    if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (!o.quiet) printSummary(report);
    return 0;
  } catch (e) {
    if (e instanceof TsonnxError) {
      process.stderr.write(`${colour.red('tsonnx:')} ${e.format()}\n`);
      return 1;
    }
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`${colour.red('tsonnx: internal error:')} ${message.split('\n')[0]}\n`);
    if (process.env.TSONNX_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv);
