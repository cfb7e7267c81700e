/** Types of fixture-runs.mjs for the TypeScript tests. */
export interface FixtureCase {
  /** The folder under test/fixtures: ops, conformance, models, control or dynamic. */
  family: string;
  name: string;
  /** `torch113` or `torch26`. */
  torch: string;
  dir: string;
  /** convert()'s options without opsetVersion. */
  options: { inputs: string[]; method?: string; liftState?: boolean };
  lowest: number;
  highest: number;
  /** False where the lowest opset is the lowest one the conversion succeeds at, at or above `lowest`. */
  fixedLowest: boolean;
}

export declare function fixtureCases(): FixtureCase[];

type Convert<R> = (modelPath: string, output: string, options: FixtureCase['options'] & { opsetVersion: number }) => Promise<R>;

export declare function convertAtLowestOpset<R>(fixture: FixtureCase, convert: Convert<R>, output: string): Promise<{ opset: number; report: R }>;
