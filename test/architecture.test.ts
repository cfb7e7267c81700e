/**
 * The layering docs/architecture.md describes, checked on the source: which folders may import
 * which, op families independent of each other, and no module-level `let` (per-conversion state
 * lives in objects a conversion creates, so conversions running at once never share it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { projectRoot } from './helpers/cases.js';

const srcRoot = join(projectRoot, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative paths under src/, with forward slashes. */
function srcPath(path: string): string {
  return relative(srcRoot, path).split('\\').join('/');
}

/** Module specifiers of static imports and re-exports, and of dynamic `import('...')`. */
function importSpecifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm)) found.push(m[1]);
  for (const m of text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) found.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]);
  return found;
}

const files = sourceFiles(srcRoot).map((path) => ({ path: srcPath(path), text: readFileSync(path, 'utf8') }));

/** Each import of a file inside src/, as the importing file, its specifier and the imported file. */
const imports = files.flatMap(({ path, text }) =>
  importSpecifiers(text)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => ({ from: path, spec, to: srcPath(resolve(srcRoot, dirname(path), spec.replace(/\.js$/, '.ts'))) })),
);

const inFolder = (path: string, folder: string) => path.startsWith(`${folder}/`);

/** [importing folders, forbidden folders]: no file of the first may import a file of the second. */
const FORBIDDEN: ReadonlyArray<[readonly string[], readonly string[]]> = [
  [['trace'], ['lower']],
  [['lower'], ['trace']],
  [['ops', 'ir'], ['trace', 'lower', 'passes', 'onnx']],
];

it('reads the imports of every source file', () => {
  expect(files.length).toBeGreaterThan(50);
  expect(imports.some((i) => i.from === 'pipeline.ts' && i.to === 'trace/trace.ts')).toBe(true);
});

it('keeps the stages and shared layers apart', () => {
  const violations = imports.flatMap(({ from, spec, to }) =>
    FORBIDDEN.filter(([importers, targets]) => importers.some((f) => inFolder(from, f)) && targets.some((f) => inFolder(to, f)))
      .map(() => `src/${from} imports '${spec}' (src/${to})`));
  expect(violations).toEqual([]);
});

it('keeps op families independent of each other', () => {
  const violations = imports
    .filter(({ from, to }) => inFolder(from, 'ops/families') && inFolder(to, 'ops/families'))
    .map(({ from, spec }) => `src/${from} imports another family: '${spec}'`);
  expect(violations).toEqual([]);
});

it('has no module-level let in src/', () => {
  const violations = files.flatMap(({ path, text }) =>
    text.split('\n').flatMap((line, i) => (/^(export\s+)?let\b/.test(line) ? [`src/${path}:${i + 1}: module-level '${line.trim()}'`] : [])));
  expect(violations).toEqual([]);
});
