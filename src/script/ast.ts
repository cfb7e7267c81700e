/**
 * AST of the TorchScript subset that `torch.jit.save` prints (docs/torchscript-format.md §4).
 * Every node carries its position in the code file for diagnostics.
 */

export interface Pos {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** 0-based byte offset of the node's first character in the file text (for `.debug_pkl` lookups). */
  offset: number;
}

// ---------- types (annotations) ----------

/** `Tensor`, `int`, `Optional[Tensor]`, `__torch__.a.b.C`, `Tuple[()]` (args empty), `"torch.classes.x"`. */
export interface TypeExpr {
  kind: 'type';
  /** Dotted name as written (`List`, `__torch__.torch.nn.modules.conv.Conv2d`), or the string for string types. */
  name: string;
  args: TypeExpr[];
  pos: Pos;
}

// ---------- expressions ----------

export type Expr =
  | NameExpr
  | IntLit
  | FloatLit
  | ComplexLit
  | StrLit
  | BoolLit
  | NoneLit
  | EllipsisLit
  | AttributeExpr
  | CallExpr
  | SubscriptExpr
  | TupleExpr
  | ListExpr
  | DictExpr
  | BinaryExpr
  | UnaryExpr
  | CompareExpr
  | BoolOpExpr
  | TernaryExpr
  | SliceExpr
  | ListCompExpr
  | TypeArgExpr;

export interface NameExpr { kind: 'name'; id: string; pos: Pos }
/** Ints keep their text's value; values beyond ±2^53 are bigint (INT64_MAX is common). */
export interface IntLit { kind: 'int'; value: number | bigint; pos: Pos }
/** `3.`, `1e-05`, and the identifiers `inf`/`nan` are NOT folded here (they are names). */
export interface FloatLit { kind: 'float'; value: number; pos: Pos }
export interface ComplexLit { kind: 'complex'; imag: number; pos: Pos }
export interface StrLit { kind: 'str'; value: string; pos: Pos }
export interface BoolLit { kind: 'bool'; value: boolean; pos: Pos }
export interface NoneLit { kind: 'none'; pos: Pos }
export interface EllipsisLit { kind: 'ellipsis'; pos: Pos }
export interface AttributeExpr { kind: 'attribute'; object: Expr; attr: string; pos: Pos }
export interface Keyword { name: string; value: Expr; pos: Pos }
export interface CallExpr { kind: 'call'; func: Expr; args: Expr[]; keywords: Keyword[]; pos: Pos }
/** `a[i]`, `a[i, j]` (index is a TupleExpr), `a[1:3]` (index is a SliceExpr). */
export interface SubscriptExpr { kind: 'subscript'; object: Expr; index: Expr; pos: Pos }
export interface SliceExpr { kind: 'slice'; lower?: Expr; upper?: Expr; step?: Expr; pos: Pos }
export interface TupleExpr { kind: 'tuple'; items: Expr[]; pos: Pos }
export interface ListExpr { kind: 'list'; items: Expr[]; pos: Pos }
export interface DictExpr { kind: 'dict'; keys: Expr[]; values: Expr[]; pos: Pos }
export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '@' | '&' | '|' | '^' | '<<' | '>>';
export interface BinaryExpr { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; pos: Pos }
export interface UnaryExpr { kind: 'unary'; op: '-' | '+' | '~' | 'not'; operand: Expr; pos: Pos }
export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=' | 'is' | 'is not' | 'in' | 'not in';
/** Chained comparisons `a < b <= c`: ops.length === comparators.length. */
export interface CompareExpr { kind: 'compare'; left: Expr; ops: CompareOp[]; comparators: Expr[]; pos: Pos }
export interface BoolOpExpr { kind: 'boolop'; op: 'and' | 'or'; values: Expr[]; pos: Pos }
export interface TernaryExpr { kind: 'ternary'; test: Expr; body: Expr; orelse: Expr; pos: Pos }
export interface ListCompExpr { kind: 'listcomp'; element: Expr; target: Expr; iter: Expr; pos: Pos }
/**
 * A type used as a value: the first argument of `annotate(T, v)`, `unchecked_cast(T, v)`,
 * `uninitialized(T)`, `isinstance(v, T)`. The parser produces it for those four calls only.
 */
export interface TypeArgExpr { kind: 'typearg'; type: TypeExpr; pos: Pos }

// ---------- statements ----------

export type Stmt =
  | AssignStmt
  | AnnAssignStmt
  | AugAssignStmt
  | ExprStmt
  | ReturnStmt
  | IfStmt
  | ForStmt
  | WhileStmt
  | WithStmt
  | PassStmt
  | BreakStmt
  | ContinueStmt
  | RaiseStmt
  | AssertStmt
  | DelStmt
  | FunctionDef;

/**
 * `a = e` (one target), `a, b = e1, e2` (targets a and b: unpacking; value is a TupleExpr),
 * `a, b, = t` and `a, = t` (unpacking with trailingComma), `obj.attr = v`, `x[i] = v`.
 */
export interface AssignStmt { kind: 'assign'; targets: Expr[]; value: Expr; trailingComma: boolean; pos: Pos }
export interface AnnAssignStmt { kind: 'annassign'; target: Expr; annotation: TypeExpr; value?: Expr; pos: Pos }
export interface AugAssignStmt { kind: 'augassign'; target: Expr; op: BinaryOp; value: Expr; pos: Pos }
export interface ExprStmt { kind: 'expr'; value: Expr; pos: Pos }
export interface ReturnStmt { kind: 'return'; value?: Expr; pos: Pos }
/** `elif` chains are nested IfStmts in orelse. */
export interface IfStmt { kind: 'if'; test: Expr; body: Stmt[]; orelse: Stmt[]; pos: Pos }
export interface ForStmt { kind: 'for'; target: Expr; iter: Expr; body: Stmt[]; pos: Pos }
export interface WhileStmt { kind: 'while'; test: Expr; body: Stmt[]; pos: Pos }
export interface WithItem { context: Expr; name?: string }
export interface WithStmt { kind: 'with'; items: WithItem[]; body: Stmt[]; pos: Pos }
export interface PassStmt { kind: 'pass'; pos: Pos }
export interface BreakStmt { kind: 'break'; pos: Pos }
export interface ContinueStmt { kind: 'continue'; pos: Pos }
export interface RaiseStmt { kind: 'raise'; value?: Expr; pos: Pos }
export interface AssertStmt { kind: 'assert'; test: Expr; msg?: Expr; pos: Pos }
export interface DelStmt { kind: 'del'; targets: Expr[]; pos: Pos }

export interface Param {
  name: string;
  annotation?: TypeExpr;
  default?: Expr;
  pos: Pos;
}

export interface FunctionDef {
  kind: 'def';
  name: string;
  params: Param[];
  returns?: TypeExpr;
  body: Stmt[];
  pos: Pos;
}

// ---------- module level ----------

export type ClassMember =
  /** `__parameters__ = ["w", ]`, `__buffers__`, `__forward_hooks__`, ...; also Enum members `RED = 1`. */
  | { kind: 'classassign'; name: string; value: Expr; pos: Pos }
  /** `name : T` or `name : Final[T] = v`; `__annotations__["0"] = T` gives name "0". */
  | { kind: 'classattr'; name: string; annotation: TypeExpr; value?: Expr; pos: Pos }
  | FunctionDef;

export interface ClassDef {
  kind: 'class';
  name: string;
  /** `Module`, `NamedTuple`, `Enum`, `Interface`, `ModuleInterface`, or undefined. */
  base?: string;
  members: ClassMember[];
  pos: Pos;
}

export interface CodeFile {
  /** Path inside the archive root, e.g. `code/__torch__/torch/nn/modules/conv.py`. */
  path: string;
  /** `op_version_set = N` when present (version-1 archives). */
  opVersionSet?: number;
  classes: ClassDef[];
  functions: FunctionDef[];
}

/**
 * `torch.nn.functional.relu` for a chain of attribute accesses on a name, else undefined. A loop,
 * not recursion: the chain can be as long as the code is.
 */
export function dottedName(e: Expr): string | undefined {
  const parts: string[] = [];
  let x = e;
  while (x.kind === 'attribute') {
    parts.unshift(x.attr);
    x = x.object;
  }
  return x.kind === 'name' ? [x.id, ...parts].join('.') : undefined;
}
