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
import type { Expansion, Refer } from './placeholders.js';

/** Where a name gets its value: its text expanded ($(ENV), %x and, through `refer`, further references). */
export type Definition = (refer: Refer) => Expansion;

const OPERATORS = new Set(['+', '-', '*', '/']);
const INTEGER = /^-?\d+$/;
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
    if (this.resolving.includes(name)) {
      return fail('TSGI_CONFIG_BAD_PLACEHOLDER', `%(${name}) refers to itself (${[...this.resolving.slice(this.resolving.indexOf(name)), name].join(' -> ')})`);
    }
    this.resolving.push(name);
    const expanded = definition(this.refer);
    this.resolving.pop();
    const result: Expansion = expanded.ok || expanded.reason.startsWith('%(') ? expanded : { ...expanded, reason: `%(${written}): ${expanded.reason}` };
    this.done.set(name, result);
    return result;
  }

  /** uWSGI's expression: `a b` joins, `a + b` adds (as do - * /) integers. */
  private evaluate(tokens: readonly string[], expression: string): Expansion {
    let text: string | undefined;
    let operator: string | undefined;
    for (const token of tokens) {
      if (OPERATORS.has(token)) {
        if (text === undefined || operator !== undefined) return fail('TSGI_CONFIG_BAD_PLACEHOLDER', `%(${expression}): "${token}" needs a value on each side`);
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
        text = (text ?? '') + operand;
        continue;
      }
      const left = text!.trim();
      const right = operand.trim();
      if (!INTEGER.test(left) || !INTEGER.test(right)) {
        return fail('TSGI_CONFIG_BAD_PLACEHOLDER', `%(${expression}): "${operator}" needs integers (got "${left}" and "${right}")`);
      }
      const [a, b] = [BigInt(left), BigInt(right)];
      if (operator === '/' && b === 0n) return fail('TSGI_CONFIG_BAD_PLACEHOLDER', `%(${expression}): division by zero`);
      text = String(operator === '+' ? a + b : operator === '-' ? a - b : operator === '*' ? a * b : a / b);
      operator = undefined;
    }
    if (operator !== undefined) return fail('TSGI_CONFIG_BAD_PLACEHOLDER', `%(${expression}): "${operator}" needs a value on each side`);
    return { ok: true, value: text ?? '' };
  }
}

function fail(code: 'TSGI_CONFIG_UNKNOWN_PLACEHOLDER' | 'TSGI_CONFIG_BAD_PLACEHOLDER', reason: string): Expansion {
  return { ok: false, code, reason };
}
