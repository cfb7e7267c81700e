/** The page: picks an archive, shows what it holds, collects the options and shows the worker's progress and results. */
import type { InspectReport } from '../src/inspect-archive.js';
import { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET } from '../src/onnx/versions.js';
import { DEFAULT_QUANTIZED_ENGINE, QUANTIZED_ENGINE_USES, QUANTIZED_ENGINES, type QuantizedEngine } from '../src/ops/quantized-engine.js';
import type { ConvertReport, ConvertStage, OperatorExportType, TrainingMode } from '../src/pipeline.js';
import type { PageRequest, WorkerConvertOptions, WorkerReply } from './protocol.js';

const STAGES: readonly ConvertStage[] = ['archive', 'trace', 'passes', 'lower', 'write'];

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const ui = {
  drop: $<HTMLElement>('drop'),
  file: $<HTMLInputElement>('file'),
  fileName: $<HTMLElement>('file-name'),
  error: $<HTMLElement>('error'),
  archive: $<HTMLElement>('archive'),
  summary: $<HTMLElement>('summary'),
  inspect: $<HTMLElement>('inspect'),
  form: $<HTMLFormElement>('options'),
  inputs: $<HTMLTextAreaElement>('inputs'),
  opset: $<HTMLInputElement>('opset'),
  inputNames: $<HTMLInputElement>('input-names'),
  outputNames: $<HTMLInputElement>('output-names'),
  dynamicAxes: $<HTMLInputElement>('dynamic-axes'),
  training: $<HTMLSelectElement>('training'),
  operatorExportType: $<HTMLSelectElement>('operator-export-type'),
  quantizedEngine: $<HTMLSelectElement>('quantized-engine'),
  liftState: $<HTMLInputElement>('lift-state'),
  convert: $<HTMLButtonElement>('convert'),
  progress: $<HTMLElement>('progress'),
  stages: $<HTMLElement>('stages'),
  result: $<HTMLElement>('result'),
  resultSummary: $<HTMLElement>('result-summary'),
  downloadModel: $<HTMLAnchorElement>('download-model'),
  downloadData: $<HTMLAnchorElement>('download-data'),
};

/** The archive on the page, the inputs it stores, and the object URLs its downloads hold. */
const current: { file?: File; storedInputs?: string[]; urls: string[] } = { urls: [] };

ui.opset.min = String(MIN_OPSET);
ui.opset.max = String(MAX_OPSET);
ui.opset.value = String(DEFAULT_OPSET);
ui.quantizedEngine.innerHTML = QUANTIZED_ENGINES.map((engine) => `<option value="${engine}" title="${QUANTIZED_ENGINE_USES[engine]}">${engine}</option>`).join('');
ui.quantizedEngine.value = DEFAULT_QUANTIZED_ENGINE;

function send(request: PageRequest): void {
  worker.postMessage(request);
}

function showError(line: string | undefined): void {
  ui.error.hidden = line === undefined;
  ui.error.textContent = line ?? '';
  document.body.dataset.state = line === undefined ? document.body.dataset.state : 'failed';
}

function choose(file: File): void {
  current.file = file;
  ui.fileName.textContent = `${file.name} (${file.size.toLocaleString('en')} bytes)`;
  for (const section of [ui.archive, ui.form, ui.progress, ui.result]) section.hidden = true;
  showError(undefined);
  document.body.dataset.state = 'inspecting';
  send({ type: 'inspect', file, opset: Number(ui.opset.value) || DEFAULT_OPSET });
}

ui.file.addEventListener('change', () => {
  if (ui.file.files?.[0]) choose(ui.file.files[0]);
});
ui.drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  ui.drop.classList.add('over');
});
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (event) => {
  event.preventDefault();
  ui.drop.classList.remove('over');
  const file = event.dataTransfer?.files[0];
  if (file) choose(file);
});

function definitionList(rows: ReadonlyArray<[string, string, string?]>): string {
  const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<dl>${rows.map(([term, text, cls]) => `<dt>${escape(term)}</dt><dd${cls ? ` class="${cls}"` : ''}>${escape(text)}</dd>`).join('')}</dl>`;
}

function showInspection(report: InspectReport, text: string): void {
  const unsupported = report.ops.filter((op) => op.status === 'unsupported').map((op) => op.op);
  const needsOpset = report.ops.filter((op) => op.status === 'needs-opset').map((op) => `${op.op} (opset ${op.lowestOpset})`);
  ui.summary.innerHTML = definitionList([
    ['signature', report.forward?.signature ?? 'no forward()'],
    ['stored inputs', report.exampleInputs?.join('  ') ?? 'none (give the inputs below)'],
    ['archive', `${report.archive.kind}, ${report.archive.producer}`],
    ['unsupported ops', unsupported.length ? unsupported.join(', ') : 'none', unsupported.length ? 'bad' : undefined],
    ...(needsOpset.length ? [['needs a higher opset', needsOpset.join(', '), 'bad'] as [string, string, string]] : []),
  ]);
  ui.inspect.textContent = text;
  current.storedInputs = report.exampleInputs;
  ui.inputs.value = (report.exampleInputs ?? []).join('\n');
  ui.archive.hidden = false;
  ui.form.hidden = false;
  document.body.dataset.state = 'inspected';
}

const list = (text: string): string[] | undefined => {
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return items.length ? items : undefined;
};

/** The form as ConvertOptions; undefined (and the error shown) when a field cannot be read. */
function formOptions(): WorkerConvertOptions | undefined {
  const inputs = ui.inputs.value.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  let dynamicAxes: WorkerConvertOptions['dynamicAxes'];
  if (ui.dynamicAxes.value.trim() !== '') {
    try {
      dynamicAxes = JSON.parse(ui.dynamicAxes.value) as WorkerConvertOptions['dynamicAxes'];
    } catch (error) {
      showError(`tsonnx: OPTION_INVALID: dynamic_axes is not valid JSON: ${(error as Error).message}`);
      return undefined;
    }
    if (typeof dynamicAxes !== 'object' || dynamicAxes === null || Array.isArray(dynamicAxes) ||
      !Object.values(dynamicAxes).every((axes) => typeof axes === 'object' && axes !== null)) {
      showError('tsonnx: OPTION_INVALID: dynamic_axes must map input or output names to {axis: name} objects or lists of axes');
      return undefined;
    }
  }
  // The stored inputs left as prefilled are the archive's own, as when the command line gets no --input.
  const stored = current.storedInputs !== undefined && inputs.join('\n') === current.storedInputs.join('\n');
  return {
    inputs: inputs.length && !stored ? inputs : undefined,
    opsetVersion: Number(ui.opset.value),
    inputNames: list(ui.inputNames.value),
    outputNames: list(ui.outputNames.value),
    dynamicAxes,
    training: ui.training.value as TrainingMode,
    operatorExportType: ui.operatorExportType.value as OperatorExportType,
    quantizedEngine: ui.quantizedEngine.value as QuantizedEngine,
    liftState: ui.liftState.checked || undefined,
  };
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const file = current.file;
  const options = formOptions();
  if (!file || !options) return;
  showError(undefined);
  for (const url of current.urls.splice(0)) URL.revokeObjectURL(url);
  ui.result.hidden = true;
  ui.stages.innerHTML = STAGES.map((stage) => `<li data-stage="${stage}">${stage}</li>`).join('');
  ui.progress.hidden = false;
  ui.convert.disabled = true;
  document.body.dataset.state = 'converting';
  send({ type: 'convert', file, options });
});

function showStage(stage: ConvertStage, seconds: Record<ConvertStage, number>): void {
  const index = STAGES.indexOf(stage);
  for (const item of ui.stages.querySelectorAll<HTMLElement>('li')) {
    const at = STAGES.indexOf(item.dataset.stage as ConvertStage);
    item.className = at < index ? 'done' : at === index ? 'running' : '';
    if (at < index) item.textContent = `${item.dataset.stage} ${seconds[item.dataset.stage as ConvertStage].toFixed(2)} s`;
  }
}

function offer(link: HTMLAnchorElement, name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  current.urls.push(url);
  link.href = url;
  link.download = name;
  link.textContent = `Download ${name} (${blob.size.toLocaleString('en')} bytes)`;
  link.hidden = false;
}

function showResult(reply: Extract<WorkerReply, { type: 'converted' }>): void {
  const report: ConvertReport = reply.report;
  for (const item of ui.stages.querySelectorAll<HTMLElement>('li')) {
    item.className = 'done';
    item.textContent = `${item.dataset.stage} ${report.seconds[item.dataset.stage as ConvertStage].toFixed(2)} s`;
  }
  const value = (v: { name: string; dtype: string; shape: Array<number | string> }) => `${v.name}: ${v.dtype}[${v.shape.join(',')}]`;
  const nodes = Object.values(report.nodes).reduce((a, b) => a + b, 0);
  ui.resultSummary.innerHTML = definitionList([
    ['opset', `${report.opset} (IR ${report.irVersion})`],
    ['inputs', report.inputs.map(value).join('  ')],
    ['outputs', report.outputs.map(value).join('  ')],
    ['nodes', `${nodes} (${Object.entries(report.nodes).map(([op, n]) => `${op} ${n}`).join(', ')})`],
    ['initializers', `${report.write.initializers} (${report.write.initializerBytes.toLocaleString('en')} bytes)`],
    ['source sha256', report.source.sha256],
    ...report.warnings.map((w): [string, string, string] => ['warning', `${w.code}: ${w.message}`, 'bad']),
  ]);
  offer(ui.downloadModel, reply.model.name, reply.model.blob);
  if (reply.data) offer(ui.downloadData, reply.data.name, reply.data.blob);
  else ui.downloadData.hidden = true;
  ui.result.hidden = false;
  ui.convert.disabled = false;
  document.body.dataset.storage = reply.storage;
  document.body.dataset.state = 'converted';
}

worker.onmessage = (event: MessageEvent<WorkerReply>) => {
  const reply = event.data;
  if (reply.type === 'inspected') showInspection(reply.report, reply.text);
  else if (reply.type === 'stage') showStage(reply.stage, reply.seconds);
  else if (reply.type === 'converted') showResult(reply);
  else {
    ui.convert.disabled = false;
    showError(reply.line);
    document.body.dataset.errorCode = reply.code;
  }
};
worker.onerror = (event) => showError(`tsonnx: internal error: ${event.message}`);
