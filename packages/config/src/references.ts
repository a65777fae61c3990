/**
 * uWSGI's `%(name)` references in ini values: the value of an option set in the ini files,
 * of a `set-placeholder = name=value`, or of a key tsgi does not know that some value
 * refers to (uWSGI keeps every unknown key as a placeholder; tsgi only those in use, so a
 * misspelt option is still an error). `%(a + 1)`, with spaces, is uWSGI's expression:
 * tokens are joined, and `+ - * /` between two of them do integer arithmetic.
 *
 * Differences from uWSGI, each turning a silent surprise into an error: an unknown name
 * or a malformed expression is an error (uWSGI leaves the text or reads ""), and a
 * reference to a value that refers back to itself is an error.
 */
import { MAX_EXPANDED_LENGTH, MAX_EXPANSION_DEPTH, tooLong, type Expansion, type ExpansionCode, type Refer } from './placeholders.js';

/** Where a name gets its value: its text expanded ($(ENV), %x and, through `refer`, further references). */
export type Definition = (refer: Refer) => Expansion;

const OPERATORS = new Set(['+', '-', '*', '/']);
const INTEGER = /^-?\d+$/;
/** uWSGI computes in 64-bit integers; bounding operands also keeps `%(n * n * n ...)` from growing without end. */
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const REFERENCE = /%\(([^)]*)\)/g;

/** The names a text refers to with `%(...)`, operators and integer literals left out. */
export function referencedNames(text: string): string[] {
  const names: string[] = [];
  for (const [, inside = ''] of text.matchAll(REFERENCE)) {
    for (const token of inside.trim().split(/\s+/)) if (token !== '' && !OPERATORS.has(token) && !INTEGER.test(token)) names.push(token);
  }
  return names;
}

/**
 * Resolves references against `definitions` (name → its first definition, as uWSGI takes
 * the first occurrence), expanding each definition once and catching cycles.
 */
export class References {
  private readonly done = new Map<string, Expansion>();
  private readonly resolving: string[] = [];

  /** `normalise` maps a name as written to the definitions' key (`_` → `-`); `isOption` tells options from other names. */
  constructor(
    private readonly definitions: ReadonlyMap<string, Definition>,
    private readonly normalise: (name: string) => string = (name) => name,
    private readonly isOption: (name: string) => boolean = () => false,
  ) {}

  /** The `refer` callback for expandValue. */
  readonly refer: Refer = (expression) => {
    const tokens = expression.trim().split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0) return fail('TSGI_CONFIG_BAD_PLACEHOLDER', '"%()" names nothing');
    if (tokens.length === 1) return this.value(tokens[0]!);
    return this.evaluate(tokens, expression);
  };

  private value(written: string): Expansion {
    const name = this.normalise(written);
    const known = this.done.get(name);
    if (known !== undefined) return known;
    const definition = this.definitions.get(name);
    if (definition === undefined && this.isOption(written)) {
      return fail('TSGI_CONFIG_UNKNOWN_PLACEHOLDER', `%(${written}): option "${name}" is not set in the ini files (a reference reads the files, not defaults)`);
    }
    if (definition === undefined) {
      return fail('TSGI_CONFIG_UNKNOWN_PLACEHOLDER', `%(${written}) names no option or placeholder of the ini files (define it with "${written} = ..." or "set-placeholder = ${written}=...")`);
    }
    if (this.resolving.length >= MAX_EXPANSION_DEPTH) {
      return fail('TSGI_CONFIG_EXPANSION_LIMIT', `%(${written}): references nest deeper than ${MAX_EXPANSION_DEPTH} (${this.resolving.slice(0, 3).join(' -> ')} -> ...)`);
    }
    if (this.resolving.includes(name)) {
      return fail('TSGI_CONFIG_BAD_PLACEHOLDER', `%(${name}) refers to itself (${[...this.resolving.slice(this.resolving.indexOf(name)), name].join(' -> ')})`);
    }
    this.resolving.push(name);
    const expanded = definition(this.refer);
    this.resolving.pop();
    const result: Expansion = expanded.ok || expanded.reason.startsWith('%(') ? expanded : { ...expanded, reason: `%(${written}): ${expanded.reason}` };
    // a failure may depend on how deep this reference was reached, so only values are kept
    if (result.ok) this.done.set(name, result);
    return result;
  }

  /** uWSGI's expression: `a b` joins, `a + b` adds (as do - * /) integers. */
  private evaluate(tokens: readonly string[], expression: string): Expansion {
    let text: string | undefined;
    let operator: string | undefined;
    for (const token of tokens) {
      if (OPERATORS.has(token)) {
        if (text === undefined || operator !== undefined) return fail('TSGI_CONFIG_BAD_PLACEHOLDER', `%(${abbreviate(expression)}): "${token}" needs a value on each side`);
        operator = token;
        continue;
      }
      let operand: string;
      if (this.definitions.has(this.normalise(token)) || !INTEGER.test(token)) {
        const v = this.value(token);
        if (!v.ok) return v;
        operand = v.value;
      } else {
        operand = token;
      }
      if (operator === undefined) {
        if ((text?.length ?? 0) + operand.length > MAX_EXPANDED_LENGTH) return tooLong((text?.length ?? 0) + operand.length);
        text = (text ?? '') + operand;
        continue;
      }
      const left = text!.trim();
      const right = operand.trim();
      if (!INTEGER.test(left) || !INTEGER.test(right)) {
        return fail('TSGI_CONFIG_BAD_PLACEHOLDER', `%(${abbreviate(expression)}): "${operator}" needs integers (got "${abbreviate(left)}" and "${abbreviate(right)}")`);
      }
      const [a, b] = [int64(left), int64(right)];
      if (a === undefined || b === undefined) return fail('TSGI_CONFIG_EXPANSION_LIMIT', `%(${abbreviate(expression)}): "${abbreviate(a === undefined ? left : right)}" is outside the 64-bit integer range`);
      if (operator === '/' && b === 0n) return fail('TSGI_CONFIG_BAD_PLACEHOLDER', `%(${abbreviate(expression)}): division by zero`);
      const value = operator === '+' ? a + b : operator === '-' ? a - b : operator === '*' ? a * b : a / b;
      if (value > INT64_MAX || value < INT64_MIN) return fail('TSGI_CONFIG_EXPANSION_LIMIT', `%(${abbreviate(expression)}): the result leaves the 64-bit integer range`);
      text = String(value);
      operator = undefined;
    }
    if (operator !== undefined) return fail('TSGI_CONFIG_BAD_PLACEHOLDER', `%(${abbreviate(expression)}): "${operator}" needs a value on each side`);
    return { ok: true, value: text ?? '' };
  }
}

/** The integer, or undefined outside int64; the length test comes first so a 64 KiB numeral is never parsed. */
function int64(text: string): bigint | undefined {
  if (text.length > 20) return undefined;
  const n = BigInt(text);
  return n > INT64_MAX || n < INT64_MIN ? undefined : n;
}

/** An expression or operand short enough for a one-line message. */
function abbreviate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fail(code: ExpansionCode, reason: string): Expansion {
  return { ok: false, code, reason };
}
