/**
 * Budgets of the trace stage. The archive's code is untrusted: it can recurse, loop without end,
 * unroll a loop of a billion iterations or build a list of a billion elements. Each budget turns
 * such code into a TRACE_LIMIT error naming its place, before memory or the JS stack run out.
 *
 * The test fixtures and the corpus of real archives need at most 8 nested calls, 22 nested
 * evaluations, about 1,100 steps and 231 nodes; the largest zoo model (scripted vit_b_16) a few
 * thousand nodes. The defaults leave 25x (depth) to 1,000x (steps) of headroom, and at their
 * worst cost seconds and a few hundred MB: a node costs the interpreter about 20 µs and 1.4 KB.
 */
import { TsonnxError, formatLocation, type SourceLocation } from '../errors.js';

export interface TraceLimits {
  /** Nested calls of TorchScript functions and methods. TorchScript cannot recurse: only malformed code nests deeply. */
  readonly callDepth: number;
  /**
   * Expressions and statements being evaluated at once, summed over every active call: what
   * bounds the JS stack. The parser allows one expression about 1,000 levels; Node's default
   * stack holds about 1,300 before the JIT warms up.
   */
  readonly evalDepth: number;
  /** Iterations of one loop run at conversion time (loops on known values are unrolled). */
  readonly loopIterations: number;
  /**
   * Work over the whole conversion: statements executed, loop and comprehension iterations, and
   * elements of the lists and strings the code builds, so memory stays bounded too.
   */
  readonly steps: number;
  /** Nodes recorded in the graph, blocks included. */
  readonly nodes: number;
  /** Elements of one list or tuple, or characters of one string, that the code builds. */
  readonly sequenceLength: number;
}

export const DEFAULT_TRACE_LIMITS: TraceLimits = Object.freeze({
  callDepth: 200,
  evalDepth: 1_200,
  loopIterations: 1_000_000,
  steps: 5_000_000,
  nodes: 200_000,
  sequenceLength: 1_000_000,
});

/** `12,345,678`: budgets are easier to read with separators. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A loop running at conversion time: where it is and how far it got. */
export interface RunningLoop {
  readonly location: SourceLocation | undefined;
  iterations: number;
}

/**
 * What one conversion has spent of its budgets. The interpreter owns one per run and reports
 * where the code is (`location`) and which loops are running (innermost last).
 */
export class TraceBudget {
  private steps = 0;
  private nodes = 0;
  private evalDepth = 0;
  /** Names of the functions being called, outermost first. */
  private readonly calls: string[] = [];
  private readonly loops: RunningLoop[] = [];

  constructor(
    readonly limits: TraceLimits,
    private readonly location: () => SourceLocation | undefined,
  ) {}

  /** Enters a call of `name`; pair with `leaveCall`. */
  enterCall(name: string): void {
    if (this.calls.length >= this.limits.callDepth) {
      const chain = [...this.calls.slice(-5), name].join(' -> ');
      this.exceeded(`calls nest more than ${formatCount(this.limits.callDepth)} deep (... ${chain}); TorchScript code cannot recurse, so this archive's code is malformed`);
    }
    this.calls.push(name);
  }

  leaveCall(): void {
    this.calls.pop();
  }

  /** Enters the evaluation of one expression or statement; pair with `leaveEval`. */
  enterEval(): void {
    if (++this.evalDepth > this.limits.evalDepth) {
      this.evalDepth--;
      this.exceeded(`expressions and statements nest more than ${formatCount(this.limits.evalDepth)} deep, counting every active call`);
    }
  }

  leaveEval(): void {
    this.evalDepth--;
  }

  /** One statement or iteration. */
  step(): void {
    this.spend(1);
  }

  private spend(work: number): void {
    this.steps += work;
    if (this.steps > this.limits.steps) {
      this.exceeded(
        `the code does more than ${formatCount(this.limits.steps)} steps of work at conversion time (statements, loop iterations, elements of the lists and strings it builds)${this.inLoop()}`,
      );
    }
  }

  /** One graph node. */
  node(): void {
    if (++this.nodes > this.limits.nodes) this.exceeded(`the graph grows past ${formatCount(this.limits.nodes)} nodes${this.inLoop()}`);
  }

  /** Runs `body` as a loop at `location`: its iterations are counted and it names the place of a budget exceeded inside it. */
  loop<T>(location: SourceLocation | undefined, body: (loop: RunningLoop) => T): T {
    const loop: RunningLoop = { location, iterations: 0 };
    this.loops.push(loop);
    try {
      return body(loop);
    } finally {
      this.loops.pop();
    }
  }

  /** One more iteration of `loop`. */
  iterate(loop: RunningLoop): void {
    if (++loop.iterations > this.limits.loopIterations) {
      throw new TsonnxError(
        'TRACE_LIMIT',
        `loop at ${where(loop.location)} runs more than ${formatCount(this.limits.loopIterations)} iterations; loops on values known at conversion time are unrolled into the graph, and this one is too long to unroll`,
        loop.location,
      );
    }
    this.step();
  }

  /** Fails unless a list or string of `length` elements fits the budget; `what` names it (`range(1000000000)`). */
  sequence(length: number, what: string): void {
    if (length > this.limits.sequenceLength) {
      this.exceeded(`${what} would hold ${formatCount(length)} elements, more than the ${formatCount(this.limits.sequenceLength)} the interpreter builds`);
    }
  }

  /** A list or string of `length` elements being built: checked as by `sequence`, and paid for as steps. */
  build(length: number, what: string): void {
    this.sequence(length, what);
    this.spend(length);
  }

  private inLoop(): string {
    const loop = this.loops[this.loops.length - 1];
    return loop ? ` (in the loop at ${where(loop.location)}, iteration ${formatCount(loop.iterations)})` : '';
  }

  private exceeded(message: string): never {
    throw new TsonnxError('TRACE_LIMIT', message, this.location());
  }
}

/** A message for the JS engine's own limits (stack depth, string or array length), else undefined. */
export function engineLimit(e: unknown): string | undefined {
  if (!(e instanceof RangeError)) return undefined;
  if (/call stack/i.test(e.message)) return 'the code nests calls or values too deeply to interpret';
  if (/invalid (string|array|typed array) length|allocation failed/i.test(e.message)) return 'the code builds a value too large to hold';
  return undefined;
}

function where(location: SourceLocation | undefined): string {
  return location ? formatLocation(location).slice(0, -2) : 'an unknown place';
}
