/**
 * The conversions the tests make of the committed fixtures (test/fixtures/<family>/<case>/torch<ver>/):
 * which cases, with which convert() options, at which opsets. Shared by scripts/convert-fixtures.mjs
 * (dist's convert) and test/onnx/validity.test.ts (src's convert); each passes its own `convert`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixturesRoot = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

const MIN_OPSET = 7;
const MAX_OPSET = 21;

/**
 * Where each family's opsets come from, as in its tests: `ops` from the lowest opset its ops convert at
 * (test/ops) to 21; `conformance` at every opset tsonnx accepts (test/conformance/model-fields); the
 * others over the range in their case.json. `state` cases are streaming models, converted with their
 * state lifted (test/trace/streaming). `diagnostics` cases exist to fail and are not listed.
 */
const FAMILIES = {
  ops: { caseJsonRange: false },
  conformance: { caseJsonRange: false },
  models: { caseJsonRange: true },
  control: { caseJsonRange: true },
  dynamic: { caseJsonRange: true },
  state: { caseJsonRange: true, liftState: true },
};

const directories = (dir) =>
  existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort() : [];

/**
 * One entry per fixture conversion setting: { family, name, torch, dir, options, lowest, highest, fixedLowest }.
 * `options` are convert()'s without opsetVersion; `fixedLowest` is false where the lowest opset is the
 * lowest one the conversion succeeds at, at or above `lowest` (see convertAtLowestOpset).
 */
export function fixtureCases() {
  const cases = [];
  for (const [family, { caseJsonRange, liftState }] of Object.entries(FAMILIES)) {
    const familyDir = join(fixturesRoot, family);
    for (const caseName of directories(familyDir)) {
      for (const torch of directories(join(familyDir, caseName))) {
        const dir = join(familyDir, caseName, torch);
        if (!existsSync(join(dir, 'case.json'))) continue;
        const json = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
        const inputs = json.dynamic?.convert_args ?? json.convert_args ?? json.args;
        const [low, high] = caseJsonRange ? (json.opsets ?? [9, MAX_OPSET]) : [MIN_OPSET, MAX_OPSET];
        const base = { family, name: json.name, torch, dir, lowest: Math.max(low, json.min_opset ?? low), highest: high, fixedLowest: caseJsonRange };
        cases.push({ ...base, options: { inputs, ...(json.method ? { method: json.method } : {}), ...(liftState ? { liftState } : {}) } });
        // test/trace/state converts module-state cases a second time with the written attribute lifted.
        if (json.state) cases.push({ ...base, name: `${json.name} (liftState)`, options: { inputs, liftState: true } });
      }
    }
  }
  return cases;
}

const OPSET_NEEDED = /needs opset (\d+) or later/;

/**
 * Converts `fixture` at its lowest opset with `convert(modelPath, output, options)`; where that opset is
 * not fixed, an OP_OPSET failure ("needs opset N or later") moves it up to N, as the registry's claims
 * set the lowest opset test/ops runs a case at. Returns { opset, report }.
 */
export async function convertAtLowestOpset(fixture, convert, output) {
  let opset = fixture.lowest;
  for (;;) {
    try {
      const report = await convert(join(fixture.dir, 'model.pt'), output, { ...fixture.options, opsetVersion: opset });
      return { opset, report };
    } catch (error) {
      const needed = error?.code === 'OP_OPSET' ? OPSET_NEEDED.exec(error.message) : null;
      if (fixture.fixedLowest || !needed || Number(needed[1]) <= opset) throw error;
      opset = Number(needed[1]);
    }
  }
}
