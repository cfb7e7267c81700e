/**
 * Recursive-descent parser for serialized TorchScript code (docs/torchscript-format.md §4.10).
 * Expression precedence follows PyTorch's `lexer.cpp`, not Python: `and`/`or` share a level and
 * unary `not`/`~` bind looser than comparisons and arithmetic.
 */
import { fail } from '../errors.js';
import type {
  AssignStmt,
  BinaryOp,
  ClassDef,
  ClassMember,
  CodeFile,
  CompareOp,
  Expr,
  FunctionDef,
  IfStmt,
  Keyword,
  Param,
  Pos,
  SliceExpr,
  Stmt,
  TypeExpr,
  WithItem,
} from './ast.js';
import { clip, INT_LITERAL_MAX, tokenize, type Token } from './lexer.js';

/**
 * Nesting the parser accepts, counting every level of expressions (calls, brackets, operands,
 * unary chains), operator and postfix chains (`a + b + c`, `x.a.b`, `f()()`), blocks, `elif`
 * chains and type arguments. It bounds both the parser's recursion and the height of the AST the
 * trace stage walks recursively. torch's printer writes one operation per statement, so its code
 * nests a few tens of levels at most; Node's stack holds several thousand levels of this parser.
 */
export const MAX_NESTING = 500;

const PREC_TERNARY = 1;
const PREC_BOOL = 2;
const PREC_NOT = 3;
const PREC_COMPARE = 4;
const PREC_MUL = 10;
const PREC_POW = 11;

const BINARY_PRECEDENCE: ReadonlyMap<string, number> = new Map([
  ['|', 5], ['^', 6], ['&', 7], ['<<', 8], ['>>', 8], ['+', 9], ['-', 9],
  ['*', PREC_MUL], ['/', PREC_MUL], ['//', PREC_MUL], ['%', PREC_MUL], ['@', PREC_MUL],
  ['**', PREC_POW],
]);

const COMPARE_OPS: ReadonlySet<string> = new Set(['<', '<=', '>', '>=', '==', '!=']);

const AUGMENTED_OPS: ReadonlyMap<string, BinaryOp> = new Map([
  ['+=', '+'], ['-=', '-'], ['*=', '*'], ['/=', '/'], ['//=', '//'], ['%=', '%'], ['**=', '**'],
  ['@=', '@'], ['&=', '&'], ['|=', '|'], ['^=', '^'], ['<<=', '<<'], ['>>=', '>>'],
]);

/** Calls whose argument at this index is a type, not a value (§4.9 special forms). */
const TYPE_ARGUMENT_INDEX: ReadonlyMap<string, number> = new Map([
  ['annotate', 0], ['unchecked_cast', 0], ['uninitialized', 0], ['isinstance', 1],
]);

interface ExprList {
  items: Expr[];
  trailingComma: boolean;
  pos: Pos;
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'newline': return 'end of line';
    case 'indent': return 'indent';
    case 'dedent': return 'dedent';
    case 'eof': return 'end of file';
    case 'string': return `string ${JSON.stringify(clip(token.text))}`;
    default: return `'${clip(token.text)}'`;
  }
}

class Parser {
  private index = 0;
  /** Current nesting (MAX_NESTING); each parse step that nests restores it on the way out. */
  private depth = 0;
  /** Index of the token right after a unary minus: the one int literal that may be 2^63. */
  private negatedLiteral = -1;

  constructor(private readonly file: string, private readonly tokens: Token[]) {}

  // ---------- token helpers ----------

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.tokens[this.index]!;
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  private isOp(text: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'op' && token.text === text;
  }

  private isKeyword(text: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'keyword' && token.text === text;
  }

  private acceptOp(text: string): boolean {
    if (!this.isOp(text)) return false;
    this.index++;
    return true;
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) this.unexpected(this.peek(), `'${text}'`);
    return this.next();
  }

  private expectKeyword(text: string): Token {
    if (!this.isKeyword(text)) this.unexpected(this.peek(), `'${text}'`);
    return this.next();
  }

  private expectKind(kind: 'newline' | 'indent' | 'dedent', what: string): Token {
    if (this.peek().kind !== kind) this.unexpected(this.peek(), what);
    return this.next();
  }

  private expectName(): Token {
    if (this.peek().kind !== 'name') this.unexpected(this.peek(), 'a name');
    return this.next();
  }

  private unexpected(token: Token, expected?: string): never {
    const found = token.kind === 'indent' ? 'unexpected indent' : `unexpected ${describe(token)}`;
    this.error(token.pos, expected ? `expected ${expected}, found ${describe(token)}` : found);
  }

  /** One level deeper; refuses code nested beyond MAX_NESTING where that level starts. */
  private enter(): void {
    if (++this.depth > MAX_NESTING) {
      const { line, column } = this.peek().pos;
      fail('SCRIPT_LIMIT', `code nests deeper than ${MAX_NESTING} levels (expressions, blocks and types count)`, { file: this.file, line, column });
    }
  }

  /** Runs `parse` one level deeper. */
  private nested<T>(parse: () => T): T {
    const outer = this.depth;
    this.enter();
    const result = parse();
    this.depth = outer;
    return result;
  }

  private error(pos: Pos, message: string): never {
    fail('SCRIPT_SYNTAX', message, { file: this.file, line: pos.line, column: pos.column });
  }

  // ---------- file and class level ----------

  parseFile(path: string): CodeFile {
    const file: CodeFile = { path, classes: [], functions: [] };
    if (this.peek().kind === 'name' && this.peek().text === 'op_version_set' && this.isOp('=', 1)) {
      this.index += 2;
      const version = this.next();
      if (version.kind !== 'int') this.unexpected(version, 'an int version number');
      file.opVersionSet = Number(version.number);
      this.expectKind('newline', 'end of line');
    }
    while (this.peek().kind !== 'eof') {
      if (this.isKeyword('import')) {
        while (this.peek().kind !== 'newline' && this.peek().kind !== 'eof') this.next();
        this.next();
      } else if (this.isKeyword('class')) {
        file.classes.push(this.parseClass());
      } else if (this.isKeyword('def')) {
        file.functions.push(this.parseFunctionDef());
      } else {
        this.unexpected(this.peek(), "'class', 'def' or 'import' at file level");
      }
    }
    return file;
  }

  private parseClass(): ClassDef {
    const pos = this.expectKeyword('class').pos;
    const name = this.expectName().text;
    const classDef: ClassDef = { kind: 'class', name, members: [], pos };
    if (this.acceptOp('(')) {
      if (!this.isOp(')')) classDef.base = this.parseDottedName();
      this.expectOp(')');
    }
    this.expectOp(':');
    if (this.peek().kind !== 'newline') {
      this.parseClassMember(classDef.members);
      return classDef;
    }
    this.next();
    this.expectKind('indent', 'an indented class body');
    while (this.peek().kind !== 'dedent') this.parseClassMember(classDef.members);
    this.next();
    return classDef;
  }

  private parseClassMember(members: ClassMember[]): void {
    const token = this.peek();
    if (this.isKeyword('def')) {
      members.push(this.parseFunctionDef());
      return;
    }
    if (this.isKeyword('pass')) {
      this.next();
      this.expectKind('newline', 'end of line');
      return;
    }
    if (token.kind !== 'name') this.unexpected(token, 'a class member');
    this.next();
    if (token.text === '__annotations__' && this.isOp('[')) {
      // `__annotations__["0"] = T` declares an attribute whose name is not an identifier.
      this.next();
      const key = this.next();
      if (key.kind !== 'string') this.unexpected(key, 'an attribute name string');
      this.expectOp(']');
      this.expectOp('=');
      const annotation = this.parseTypeExpr();
      members.push({ kind: 'classattr', name: key.text, annotation, pos: token.pos });
    } else if (this.acceptOp(':')) {
      const annotation = this.parseTypeExpr();
      const member: ClassMember = { kind: 'classattr', name: token.text, annotation, pos: token.pos };
      if (this.acceptOp('=')) member.value = this.parseExpr();
      members.push(member);
    } else if (this.acceptOp('=')) {
      const value = this.parseExpr();
      // `__annotations__ = []` only marks that attribute #0 is declared via `__annotations__[...]`.
      if (token.text !== '__annotations__') members.push({ kind: 'classassign', name: token.text, value, pos: token.pos });
    } else {
      this.unexpected(this.peek(), "':' or '=' after a class member name");
    }
    this.expectKind('newline', 'end of line');
  }

  private parseDottedName(): string {
    let name = this.expectName().text;
    while (this.acceptOp('.')) name += '.' + this.expectAttributeName();
    return name;
  }

  /** After a dot any word is allowed: attributes print as `.name` even when `name` is a keyword. */
  private expectAttributeName(): string {
    const token = this.peek();
    if (token.kind !== 'name' && token.kind !== 'keyword') this.unexpected(token, 'an attribute name');
    this.index++;
    return token.text;
  }

  private parseFunctionDef(): FunctionDef {
    const pos = this.expectKeyword('def').pos;
    const name = this.expectName().text;
    this.expectOp('(');
    const params: Param[] = [];
    while (!this.isOp(')')) {
      if (this.isOp('*') && (this.isOp(',', 1) || this.isOp(')', 1))) {
        // A bare `*` only marks the following parameters keyword-only.
        this.next();
      } else {
        const nameToken = this.expectName();
        const param: Param = { name: nameToken.text, pos: nameToken.pos };
        if (this.acceptOp(':')) param.annotation = this.parseTypeExpr();
        if (this.acceptOp('=')) param.default = this.parseExpr();
        params.push(param);
      }
      if (!this.acceptOp(',')) break;
    }
    this.expectOp(')');
    const def: FunctionDef = { kind: 'def', name, params, body: [], pos };
    if (this.acceptOp('->')) def.returns = this.parseTypeExpr();
    this.expectOp(':');
    def.body = this.parseSuite();
    return def;
  }

  // ---------- statements ----------

  private parseSuite(): Stmt[] {
    return this.nested(() => this.parseBlock());
  }

  private parseBlock(): Stmt[] {
    const body: Stmt[] = [];
    if (this.peek().kind !== 'newline') {
      this.parseSimpleStatement(body);
      this.expectKind('newline', 'end of line');
      return body;
    }
    this.next();
    this.expectKind('indent', 'an indented block');
    while (this.peek().kind !== 'dedent') this.parseStatement(body);
    this.next();
    return body;
  }

  private parseStatement(out: Stmt[]): void {
    const token = this.peek();
    if (token.kind === 'keyword') {
      switch (token.text) {
        case 'if':
          out.push(this.nested(() => this.parseIf()));
          return;
        case 'while': {
          this.next();
          const test = this.parseExpr();
          this.expectOp(':');
          out.push({ kind: 'while', test, body: this.parseSuite(), pos: token.pos });
          return;
        }
        case 'for': {
          this.next();
          const target = this.parseTargetList();
          this.expectKeyword('in');
          const iter = this.listToExpr(this.parseExprList());
          this.expectOp(':');
          out.push({ kind: 'for', target, iter, body: this.parseSuite(), pos: token.pos });
          return;
        }
        case 'with': {
          this.next();
          const items: WithItem[] = [];
          do {
            const item: WithItem = { context: this.parseExpr() };
            if (this.isKeyword('as')) {
              this.next();
              item.name = this.expectName().text;
            }
            items.push(item);
          } while (this.acceptOp(','));
          this.expectOp(':');
          out.push({ kind: 'with', items, body: this.parseSuite(), pos: token.pos });
          return;
        }
        case 'def':
          out.push(this.parseFunctionDef());
          return;
      }
    }
    this.parseSimpleStatement(out);
    this.expectKind('newline', 'end of line');
  }

  private parseIf(): IfStmt {
    const pos = this.next().pos;
    const test = this.parseExpr();
    this.expectOp(':');
    const body = this.parseSuite();
    let orelse: Stmt[] = [];
    if (this.isKeyword('elif')) {
      orelse = [this.nested(() => this.parseIf())];
    } else if (this.isKeyword('else')) {
      this.next();
      this.expectOp(':');
      orelse = this.parseSuite();
    }
    return { kind: 'if', test, body, orelse, pos };
  }

  private parseSimpleStatement(out: Stmt[]): void {
    const token = this.peek();
    const pos = token.pos;
    if (token.kind === 'keyword') {
      switch (token.text) {
        case 'pass':
        case 'break':
        case 'continue':
          this.next();
          out.push({ kind: token.text, pos });
          return;
        case 'return': {
          this.next();
          if (this.peek().kind === 'newline') out.push({ kind: 'return', pos });
          else out.push({ kind: 'return', value: this.listToExpr(this.parseExprList()), pos });
          return;
        }
        case 'raise': {
          this.next();
          if (this.peek().kind === 'newline') out.push({ kind: 'raise', pos });
          else out.push({ kind: 'raise', value: this.parseExpr(), pos });
          return;
        }
        case 'assert': {
          this.next();
          const test = this.parseExpr();
          if (this.acceptOp(',')) out.push({ kind: 'assert', test, msg: this.parseExpr(), pos });
          else out.push({ kind: 'assert', test, pos });
          return;
        }
        case 'del': {
          this.next();
          const targets = this.parseExprList().items;
          for (const target of targets) this.checkTarget(target);
          out.push({ kind: 'del', targets, pos });
          return;
        }
        case 'global':
          // Scripted functions cannot rebind globals; the declaration carries no meaning here.
          this.next();
          do this.expectName(); while (this.acceptOp(','));
          return;
      }
    }
    if (token.kind === 'indent') this.unexpected(token);
    this.parseExpressionStatement(out);
  }

  /** Assignments of all forms, annotated and augmented assignments, and expression statements. */
  private parseExpressionStatement(out: Stmt[]): void {
    const first = this.parseExprList();
    const single = first.items.length === 1 && !first.trailingComma;
    if (this.isOp('=')) {
      const lists: ExprList[] = [first];
      while (this.acceptOp('=')) lists.push(this.parseExprList());
      const value = this.listToExpr(lists.pop()!);
      for (const list of lists) for (const target of list.items) this.checkTarget(target);
      out.push(this.assignment(first, value));
      // Chained `a = b = e` assigns the value of `e` to each target list in turn; later lists
      // read it back from the first one so every statement keeps a single target list.
      const firstValue = this.listToExpr(first);
      for (const list of lists.slice(1)) out.push(this.assignment(list, firstValue));
      return;
    }
    if (this.isOp(':') && single) {
      this.next();
      const target = first.items[0]!;
      this.checkTarget(target);
      const annotation = this.parseTypeExpr();
      if (this.acceptOp('=')) {
        out.push({ kind: 'annassign', target, annotation, value: this.listToExpr(this.parseExprList()), pos: first.pos });
      } else {
        out.push({ kind: 'annassign', target, annotation, pos: first.pos });
      }
      return;
    }
    const operator = this.peek();
    const augmented = operator.kind === 'op' ? AUGMENTED_OPS.get(operator.text) : undefined;
    if (augmented) {
      if (!single) this.error(operator.pos, 'augmented assignment needs a single target');
      const target = first.items[0]!;
      this.checkTarget(target);
      this.next();
      out.push({ kind: 'augassign', target, op: augmented, value: this.listToExpr(this.parseExprList()), pos: first.pos });
      return;
    }
    out.push({ kind: 'expr', value: this.listToExpr(first), pos: first.pos });
  }

  private assignment(targets: ExprList, value: Expr): AssignStmt {
    return { kind: 'assign', targets: targets.items, value, trailingComma: targets.trailingComma, pos: targets.pos };
  }

  private checkTarget(target: Expr): void {
    switch (target.kind) {
      case 'name':
      case 'attribute':
      case 'subscript':
        return;
      case 'tuple':
      case 'list':
        for (const item of target.items) this.checkTarget(item);
        return;
      default:
        this.error(target.pos, `cannot assign to ${target.kind === 'call' ? 'a function call' : `a ${target.kind} expression`}`);
    }
  }

  /** `for` and comprehension targets: expressions that stop before the `in` keyword. */
  private parseTargetList(): Expr {
    const pos = this.peek().pos;
    const items = [this.parseExp(PREC_COMPARE)];
    let trailingComma = false;
    while (this.acceptOp(',')) {
      trailingComma = true;
      if (this.isKeyword('in')) break;
      items.push(this.parseExp(PREC_COMPARE));
      trailingComma = false;
    }
    for (const item of items) this.checkTarget(item);
    return items.length === 1 && !trailingComma ? items[0]! : { kind: 'tuple', items, pos };
  }

  // ---------- expressions ----------

  /** Comma-separated expressions up to a token that cannot start another one. */
  private parseExprList(): ExprList {
    const pos = this.peek().pos;
    const items = [this.parseExpr()];
    let trailingComma = false;
    while (this.acceptOp(',')) {
      if (!this.startsExpression(this.peek())) {
        trailingComma = true;
        break;
      }
      items.push(this.parseExpr());
    }
    return { items, trailingComma, pos };
  }

  private listToExpr(list: ExprList): Expr {
    if (list.items.length === 1 && !list.trailingComma) return list.items[0]!;
    return { kind: 'tuple', items: list.items, pos: list.pos };
  }

  private startsExpression(token: Token): boolean {
    switch (token.kind) {
      case 'name':
      case 'int':
      case 'float':
      case 'complex':
      case 'string':
        return true;
      case 'keyword':
        return token.text === 'not' || token.text === 'True' || token.text === 'False' || token.text === 'None';
      case 'op':
        return ['(', '[', '{', '-', '+', '~', '...'].includes(token.text);
      default:
        return false;
    }
  }

  private parseExpr(): Expr {
    return this.parseExp(0);
  }

  /** Precedence climbing over operators binding tighter than `precedence` (PyTorch's `parseExp`). */
  private parseExp(precedence: number): Expr {
    const outer = this.depth;
    this.enter();
    const start = this.peek();
    const pos = start.pos;
    let left = this.parseUnary(start);
    // The node a chained comparison or a same-operator `and`/`or` run keeps extending.
    let chain: Expr | undefined;
    while (true) {
      const token = this.peek();
      if (token.kind === 'keyword') {
        if (token.text === 'if') {
          if (PREC_TERNARY <= precedence) break;
          this.next();
          const test = this.parseExp(0);
          this.expectKeyword('else');
          const orelse = this.parseExp(PREC_TERNARY - 1);
          this.enter();
          left = { kind: 'ternary', test, body: left, orelse, pos };
          chain = undefined;
          continue;
        }
        if (token.text === 'and' || token.text === 'or') {
          if (PREC_BOOL <= precedence) break;
          this.next();
          const op = token.text;
          const right = this.parseExp(PREC_BOOL);
          if (chain === left && left.kind === 'boolop' && left.op === op) {
            left.values.push(right);
          } else {
            this.enter();
            left = { kind: 'boolop', op, values: [left, right], pos };
            chain = left;
          }
          continue;
        }
      }
      const compareOp = this.peekCompareOp();
      if (compareOp) {
        if (PREC_COMPARE <= precedence) break;
        this.index += compareOp === 'is not' || compareOp === 'not in' ? 2 : 1;
        const right = this.parseExp(PREC_COMPARE);
        if (chain === left && left.kind === 'compare') {
          left.ops.push(compareOp);
          left.comparators.push(right);
        } else {
          this.enter();
          left = { kind: 'compare', left, ops: [compareOp], comparators: [right], pos };
          chain = left;
        }
        continue;
      }
      const binaryPrecedence = token.kind === 'op' ? BINARY_PRECEDENCE.get(token.text) : undefined;
      if (binaryPrecedence === undefined || binaryPrecedence <= precedence) break;
      this.next();
      // `**` is right-associative: its right operand may itself contain `**`.
      const right = this.parseExp(token.text === '**' ? binaryPrecedence - 1 : binaryPrecedence);
      this.enter();
      left = { kind: 'binary', op: token.text as BinaryOp, left, right, pos };
      chain = undefined;
    }
    // Each node wrapping `left` counted one level, so operands parsed later sit deeper.
    this.depth = outer;
    return left;
  }

  private peekCompareOp(): CompareOp | undefined {
    const token = this.peek();
    if (token.kind === 'op') return COMPARE_OPS.has(token.text) ? (token.text as CompareOp) : undefined;
    if (token.kind !== 'keyword') return undefined;
    if (token.text === 'in') return 'in';
    if (token.text === 'is') return this.isKeyword('not', 1) ? 'is not' : 'is';
    if (token.text === 'not' && this.isKeyword('in', 1)) return 'not in';
    return undefined;
  }

  private parseUnary(token: Token): Expr {
    let op: '-' | '+' | '~' | 'not' | undefined;
    let precedence = PREC_MUL;
    if (token.kind === 'keyword' && token.text === 'not') {
      op = 'not';
      precedence = PREC_NOT;
    } else if (token.kind === 'op' && (token.text === '-' || token.text === '+' || token.text === '~')) {
      op = token.text;
      if (op === '~') precedence = PREC_NOT;
    }
    if (!op) return this.parsePostfix();
    this.next();
    if (op === '-') this.negatedLiteral = this.index;
    const operandToken = this.peek();
    const operand = this.parseExp(precedence);
    if (op === '-' && operand.kind !== 'int' && operandToken.kind === 'int' && this.isOutOfRange(operandToken.number!)) {
      // `-9223372036854775808 ** 2`: the minus applies to the power, so 2^63 stands alone.
      this.outOfRange(operandToken.pos, operandToken.text);
    }
    if (op === '-') {
      // PyTorch folds `-<number>` into a negative constant (`-1`, `-0.`, `-9223372036854775808`).
      switch (operand.kind) {
        case 'int': {
          const value = operand.value;
          if (typeof value === 'bigint') {
            const negated = -value;
            if (this.isOutOfRange(negated)) this.outOfRange(token.pos, String(negated));
            const safe = negated >= BigInt(Number.MIN_SAFE_INTEGER) && negated <= BigInt(Number.MAX_SAFE_INTEGER);
            return { kind: 'int', value: safe ? Number(negated) : negated, pos: token.pos };
          }
          return { kind: 'int', value: value === 0 ? 0 : -value, pos: token.pos };
        }
        case 'float':
          return { kind: 'float', value: -operand.value, pos: token.pos };
        case 'complex':
          return { kind: 'complex', imag: -operand.imag, pos: token.pos };
      }
    }
    return { kind: 'unary', op, operand, pos: token.pos };
  }

  private parsePostfix(): Expr {
    const outer = this.depth;
    const pos = this.peek().pos;
    let expr = this.parseAtom();
    while (this.isOp('.') || this.isOp('(') || this.isOp('[')) {
      // Each suffix wraps the expression so far: one level deeper.
      this.enter();
      if (this.acceptOp('.')) {
        expr = { kind: 'attribute', object: expr, attr: this.expectAttributeName(), pos };
      } else if (this.isOp('(')) {
        expr = this.parseCall(expr, pos);
      } else {
        expr = this.parseSubscript(expr, pos);
      }
    }
    this.depth = outer;
    return expr;
  }

  private parseCall(func: Expr, pos: Pos): Expr {
    this.expectOp('(');
    const typeIndex = func.kind === 'name' ? TYPE_ARGUMENT_INDEX.get(func.id) : undefined;
    const args: Expr[] = [];
    const keywords: Keyword[] = [];
    while (!this.isOp(')')) {
      const token = this.peek();
      if (token.kind === 'name' && this.isOp('=', 1)) {
        this.index += 2;
        keywords.push({ name: token.text, value: this.parseExpr(), pos: token.pos });
      } else {
        if (keywords.length > 0) this.error(token.pos, 'positional argument follows keyword argument');
        args.push(args.length === typeIndex ? this.parseTypeArgument(func.kind === 'name' && func.id === 'isinstance') : this.parseExpr());
      }
      if (!this.acceptOp(',')) break;
    }
    this.expectOp(')');
    return { kind: 'call', func, args, keywords, pos };
  }

  /** A type in value position; `isinstance` also takes a parenthesised tuple of types. */
  private parseTypeArgument(allowTuple: boolean): Expr {
    const token = this.peek();
    if (allowTuple && this.isOp('(')) {
      this.next();
      const items: Expr[] = [];
      let sawComma = false;
      while (!this.isOp(')')) {
        items.push(this.nested(() => this.parseTypeArgument(true)));
        if (!this.acceptOp(',')) break;
        sawComma = true;
      }
      this.expectOp(')');
      if (items.length === 1 && !sawComma) return items[0]!;
      return { kind: 'tuple', items, pos: token.pos };
    }
    const type = this.parseTypeExpr();
    return { kind: 'typearg', type, pos: type.pos };
  }

  private parseSubscript(object: Expr, pos: Pos): Expr {
    const open = this.expectOp('[');
    const items: Expr[] = [];
    let trailingComma = false;
    while (!this.isOp(']')) {
      items.push(this.parseSliceItem());
      trailingComma = false;
      if (!this.acceptOp(',')) break;
      trailingComma = true;
    }
    if (items.length === 0) this.unexpected(this.peek(), 'a subscript');
    this.expectOp(']');
    const index: Expr = items.length === 1 && !trailingComma ? items[0]! : { kind: 'tuple', items, pos: items[0]?.pos ?? open.pos };
    return { kind: 'subscript', object, index, pos };
  }

  private parseSliceItem(): Expr {
    const pos = this.peek().pos;
    const lower = this.isOp(':') ? undefined : this.parseExpr();
    if (!this.acceptOp(':')) return lower!;
    const slice: SliceExpr = { kind: 'slice', pos };
    if (lower) slice.lower = lower;
    if (!this.isSliceEnd() && !this.isOp(':')) slice.upper = this.parseExpr();
    if (this.acceptOp(':') && !this.isSliceEnd()) slice.step = this.parseExpr();
    return slice;
  }

  private isSliceEnd(): boolean {
    return this.isOp(',') || this.isOp(']');
  }

  private parseAtom(): Expr {
    const token = this.peek();
    const pos = token.pos;
    switch (token.kind) {
      case 'name':
        this.next();
        if (token.text === 'Ellipsis') return { kind: 'ellipsis', pos };
        return { kind: 'name', id: token.text, pos };
      case 'int':
        if (this.isOutOfRange(token.number!) && this.index !== this.negatedLiteral) this.outOfRange(pos, token.text);
        this.next();
        return { kind: 'int', value: token.number!, pos };
      case 'float':
        this.next();
        return { kind: 'float', value: token.number as number, pos };
      case 'complex':
        this.next();
        return { kind: 'complex', imag: token.number as number, pos };
      case 'string':
        return { kind: 'str', value: this.parseStrings(), pos };
      case 'keyword':
        if (token.text === 'True' || token.text === 'False') {
          this.next();
          return { kind: 'bool', value: token.text === 'True', pos };
        }
        if (token.text === 'None') {
          this.next();
          return { kind: 'none', pos };
        }
        break;
      case 'op':
        switch (token.text) {
          case '...':
            this.next();
            return { kind: 'ellipsis', pos };
          case '(':
            return this.parseParenthesized();
          case '[':
            return this.parseListDisplay();
          case '{':
            return this.parseDictDisplay();
        }
        break;
    }
    this.unexpected(token);
  }

  /** Beyond int64 as written: the lexer allows 2^63 only for a minus to fold in. */
  private isOutOfRange(value: number | bigint): boolean {
    return typeof value === 'bigint' && value >= INT_LITERAL_MAX;
  }

  private outOfRange(pos: Pos, text: string): never {
    this.error(pos, `integer literal ${clip(text)} does not fit in int64`);
  }

  /** Adjacent string literals concatenate. */
  private parseStrings(): string {
    let value = '';
    while (this.peek().kind === 'string') value += this.next().text;
    return value;
  }

  private parseParenthesized(): Expr {
    const pos = this.expectOp('(').pos;
    if (this.acceptOp(')')) return { kind: 'tuple', items: [], pos };
    const first = this.parseExpr();
    if (this.acceptOp(')')) return first;
    const items = [first];
    while (this.acceptOp(',')) {
      if (this.isOp(')')) break;
      items.push(this.parseExpr());
    }
    this.expectOp(')');
    return { kind: 'tuple', items, pos };
  }

  private parseListDisplay(): Expr {
    const pos = this.expectOp('[').pos;
    if (this.acceptOp(']')) return { kind: 'list', items: [], pos };
    const first = this.parseExpr();
    if (this.isKeyword('for')) {
      this.next();
      const target = this.parseTargetList();
      this.expectKeyword('in');
      const iter = this.parseExpr();
      this.expectOp(']');
      return { kind: 'listcomp', element: first, target, iter, pos };
    }
    const items = [first];
    while (this.acceptOp(',')) {
      if (this.isOp(']')) break;
      items.push(this.parseExpr());
    }
    this.expectOp(']');
    return { kind: 'list', items, pos };
  }

  private parseDictDisplay(): Expr {
    const pos = this.expectOp('{').pos;
    const keys: Expr[] = [];
    const values: Expr[] = [];
    while (!this.isOp('}')) {
      keys.push(this.parseExpr());
      this.expectOp(':');
      values.push(this.parseExpr());
      if (!this.acceptOp(',')) break;
    }
    this.expectOp('}');
    return { kind: 'dict', keys, values, pos };
  }

  // ---------- types ----------

  parseTypeExpr(): TypeExpr {
    const token = this.peek();
    const pos = token.pos;
    if (token.kind === 'string') return { kind: 'type', name: this.parseStrings(), args: [], pos };
    if (token.kind === 'keyword' && token.text === 'None') {
      this.next();
      return { kind: 'type', name: 'None', args: [], pos };
    }
    if (token.kind !== 'name') this.unexpected(token, 'a type');
    const type: TypeExpr = { kind: 'type', name: this.parseDottedName(), args: [], pos };
    if (!this.acceptOp('[')) return type;
    if (this.isOp('(') && this.isOp(')', 1)) {
      // `Tuple[()]`: the empty tuple type.
      this.index += 2;
    } else {
      do {
        if (this.isOp(']')) break;
        type.args.push(this.nested(() => this.parseTypeExpr()));
      } while (this.acceptOp(','));
    }
    this.expectOp(']');
    return type;
  }

  expectEnd(): void {
    while (this.peek().kind === 'newline' || this.peek().kind === 'dedent') this.next();
    if (this.peek().kind !== 'eof') this.unexpected(this.peek(), 'end of input');
  }

  skipIndent(): void {
    if (this.peek().kind === 'indent') this.next();
  }
}

/** Parses one `code/**.py` file of a TorchScript archive. Throws SCRIPT_SYNTAX with the position on bad input. */
export function parseCode(path: string, text: string): CodeFile {
  const parser = new Parser(path, tokenize(path, text));
  return parser.parseFile(path);
}

/** Parses a TorchScript type (`Optional[Tuple[Tensor, Tensor]]`, `__torch__.a.B`, `"torch.classes.x"`). */
export function parseType(text: string): TypeExpr {
  const file = '<type>';
  const parser = new Parser(file, tokenize(file, text));
  parser.skipIndent();
  const type = parser.parseTypeExpr();
  parser.expectEnd();
  return type;
}
