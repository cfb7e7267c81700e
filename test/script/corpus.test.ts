/** Every code file of the real third-party archives in ../shared/corpus must parse. */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCode } from '../../src/script/index.js';
import type { CodeFile } from '../../src/script/index.js';
import { readZipEntries } from './zip-entries.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const folders = existsSync(CORPUS) ? readdirSync(CORPUS).filter((name) => existsSync(`${CORPUS}${name}/model.pt`)).sort() : [];

/** Code files per archive as `unzip -l` lists them, so a reader that silently skips some is caught. */
const CODE_FILE_COUNTS: Record<string, number> = {
  rw_djl_identity: 1, rw_reddit_bytelstm: 8, rw_silero_micro_2021: 41, rw_silero_v3_1: 61,
  rw_tchrs_foo: 1, rw_tchrs_foo1: 1, rw_tchrs_foo2: 1, rw_tchrs_foo3: 1,
  rw_torchsharp_func: 1, rw_torchsharp_linrelu: 3, rw_torchsharp_list: 1, rw_torchsharp_methods: 1,
  rw_torchsharp_mlp: 5, rw_torchsharp_tuple: 1,
};

/** Parses every `<root>/code/**.py` record, keyed by its path below the root folder. */
function parseArchive(folder: string): Map<string, CodeFile> {
  const entries = readZipEntries(`${CORPUS}${folder}/model.pt`, (name) => /^[^/]+\/code\/.*\.py$/.test(name));
  const files = new Map<string, CodeFile>();
  for (const [name, data] of entries) {
    const path = name.slice(name.indexOf('/') + 1);
    files.set(path, parseCode(path, data.toString('utf8')));
  }
  return files;
}

describe.skipIf(folders.length === 0)('real archives in ../shared/corpus', () => {
  if (folders.length === 0) console.warn(`script corpus test skipped: no archives under ${CORPUS}`);

  it.each(folders)('%s: every code file parses', (folder) => {
    const files = parseArchive(folder);
    expect(files.size).toBe(CODE_FILE_COUNTS[folder] ?? files.size);
    expect(files.size).toBeGreaterThan(0);
    const classes = [...files.values()].reduce((sum, file) => sum + file.classes.length, 0);
    expect(classes).toBeGreaterThan(0);
  });

  it.runIf(folders.includes('rw_reddit_bytelstm'))('rw_reddit_bytelstm: a version-1 archive with op_version_set and imports', () => {
    const files = parseArchive('rw_reddit_bytelstm');
    const root = files.get('code/__torch__.py')!;
    expect(root.opVersionSet).toBe(1);
    expect(root.classes.length).toBeGreaterThan(0);
  });

  it.runIf(folders.includes('rw_tchrs_foo3'))('rw_tchrs_foo3: a loop with an if', () => {
    const [foo3] = parseArchive('rw_tchrs_foo3').get('code/__torch__.py')!.classes;
    expect(foo3!.name).toBe('Foo3');
    const forward = foo3!.members.find((m) => m.kind === 'def' && m.name === 'forward');
    expect(forward).toMatchObject({
      body: [
        { kind: 'assign', targets: [{ id: 'result' }], value: { kind: 'call', args: [{ id: 'x' }, { value: 0 }, { value: 0 }] } },
        { kind: 'assign', targets: [{ id: 'result0' }] },
        {
          kind: 'for', target: { id: 'i' }, iter: { kind: 'call', func: { id: 'range' } },
          body: [{ kind: 'if', test: { kind: 'call', func: { id: 'bool' }, args: [{ id: 'i' }] } }, { kind: 'assign' }],
        },
        { kind: 'return', value: { id: 'result0' } },
      ],
    });
  });

  it.runIf(folders.includes('rw_silero_v3_1'))('rw_silero_v3_1: a production voice-activity model', () => {
    const files = parseArchive('rw_silero_v3_1');
    const [model] = files.get('code/__torch__.py')!.classes;
    expect(model!.name).toBe('HehRecModel');
    expect(model!.members.find((m) => m.name === 'sample_rates')).toMatchObject({ kind: 'classattr', annotation: { name: 'List', args: [{ name: 'int' }] } });
  });
});
