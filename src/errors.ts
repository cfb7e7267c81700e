/** Where a problem sits: a TorchScript code file position and, when the archive records it, the Python one. */
export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
  /** Original Python position (`model.py:42`) from the archive's `.debug_pkl` records. */
  python?: string;
}

/**
 * Stable error codes. The prefix names the stage that raised it.
 * Codes are part of the public API: never renumber, only add.
 */
export type ErrorCode =
  | 'INPUT_NOT_FOUND'
  | 'INPUT_UNREADABLE'
  | 'OUTPUT_UNWRITABLE'
  | 'OUTPUT_IS_INPUT'
  | 'ARCHIVE_NOT_ZIP'
  | 'ARCHIVE_CORRUPT'
  | 'ARCHIVE_NOT_TORCHSCRIPT'
  | 'ARCHIVE_TORCH_SAVE'
  | 'ARCHIVE_UNSUPPORTED'
  | 'PICKLE_FORBIDDEN_GLOBAL'
  | 'PICKLE_CORRUPT'
  | 'ARCHIVE_LIMIT'
  | 'SCRIPT_SYNTAX'
  | 'SCRIPT_NAME'
  | 'SCRIPT_LIMIT'
  | 'TRACE_UNSUPPORTED'
  | 'TRACE_RAISE'
  | 'TRACE_TYPE'
  | 'TRACE_LIMIT'
  | 'UNSAFE_OP'
  | 'INPUT_SPEC'
  | 'OP_UNSUPPORTED'
  | 'OP_OPSET'
  | 'OPTION_INVALID'
  | 'USAGE'
  | 'CHECK_UNAVAILABLE'
  | 'CHECK_FAILED'
  | 'CHECK_NOT_FINITE'
  | 'STRICT_WARNINGS'
  | 'INTERNAL';

export class TsonnxError extends Error {
  readonly code: ErrorCode;
  readonly location?: SourceLocation;

  constructor(code: ErrorCode, message: string, location?: SourceLocation) {
    super(message);
    this.name = 'TsonnxError';
    this.code = code;
    this.location = location;
  }

  /** One line: `code/__torch__/m.py:12 (model.py:40): TRACE_UNSUPPORTED: message`. */
  format(): string {
    return `${formatLocation(this.location)}${this.code}: ${this.message}`;
  }

  /** The same error with a location, unless it already has one. */
  at(location: SourceLocation | undefined): TsonnxError {
    if (this.location || !location) return this;
    return new TsonnxError(this.code, this.message, location);
  }

  /** The same error with its location read out (Python positions are looked up lazily, while the archive is open). */
  settled(): TsonnxError {
    if (!this.location) return this;
    const { file, line, column, python } = this.location;
    return new TsonnxError(this.code, this.message, { file, line, column, python });
  }
}

export function formatLocation(location: SourceLocation | undefined): string {
  if (!location) return '';
  const python = location.python ? ` (${location.python})` : '';
  return `${location.file}:${location.line}${python}: `;
}

export function fail(code: ErrorCode, message: string, location?: SourceLocation): never {
  throw new TsonnxError(code, message, location);
}

/** An error as data (JSON reports, worker messages): its code, message and location; other errors are INTERNAL. */
export interface ErrorRecord {
  code: ErrorCode;
  message: string;
  location: SourceLocation | null;
}

export function errorRecord(e: unknown): ErrorRecord {
  if (e instanceof TsonnxError) {
    const settled = e.settled();
    return { code: settled.code, message: settled.message, location: settled.location ?? null };
  }
  return { code: 'INTERNAL', message: (e instanceof Error ? e.message : String(e)).split('\n')[0], location: null };
}

/**
 * Stable warning codes (part of the public API, like error codes): what a conversion did that the
 * archive's code did not quite ask for. `strict` makes any of them a STRICT_WARNINGS failure.
 */
export type WarningCode =
  | 'MODEL_WARNS'
  | 'CHECK_DROPPED'
  | 'STATE_NOT_KEPT'
  | 'DYNAMIC_AXES_LIST'
  | 'DYNAMIC_AXES_REPEATED'
  | 'DYNAMIC_AXES_UNUSED'
  | 'INITIALIZERS_AS_INPUTS_FORCED'
  | 'CUSTOM_OPSET_UNUSED';

export interface ConversionWarning {
  code: WarningCode;
  message: string;
}
