/**
 * Command-line parsing on node:util parseArgs (strict: an unknown or misspelt flag is a usage error, never
 * silently ignored), plus the checks parseArgs does not do: required flags, numbers, durations.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandContext } from './context.js';
import { UsageError } from './exit-codes.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Accepted by every command, before or after the command name. */
const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'no-color': { type: 'boolean' },
} as const satisfies OptionsConfig;

type Parsed<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: typeof GLOBAL_OPTIONS & O; strict: true; allowPositionals: true }>>;

/** Parses a command's arguments (its own flags and the global ones); parseArgs' errors become UsageErrors. */
export function parseCommand<const O extends OptionsConfig>(command: string, args: readonly string[], options: O): Parsed<O> {
  try {
    const all = { ...GLOBAL_OPTIONS, ...options };
    return parseArgs({ args: attachValues(args, all), options: all, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(cleanParseError(error), command);
  }
}

/** The flags every command takes, as parsed with the command's own (so a flag's value is never taken for one). */
export interface GlobalFlags {
  readonly json: boolean;
  readonly noColor: boolean;
  readonly help: boolean;
  readonly url: string | undefined;
  readonly token: string | undefined;
  /** A file holding the token, read again before every request (a CI job's or a pod's renewed OIDC token). */
  readonly tokenFile: string | undefined;
}

/** A command whose arguments are parsed once, before a client exists: `run` needs the global flags first. */
export interface Command {
  prepare(name: string, args: readonly string[]): { readonly globals: GlobalFlags; execute(context: CommandContext): Promise<number> };
}

/** A command from its flags and what it does with them (global flags included in `parsed`). */
export function defineCommand<const O extends OptionsConfig>(options: O, run: (context: CommandContext, parsed: Parsed<O>) => Promise<number>): Command {
  return {
    prepare(name, args) {
      const parsed = parseCommand(name, args, options);
      // The global part of the values, whatever the command's own options are.
      const values = parsed.values as { json?: boolean; 'no-color'?: boolean; help?: boolean; url?: string; token?: string; 'token-file'?: string };
      return {
        globals: { json: values.json === true, noColor: values['no-color'] === true, help: values.help === true, url: values.url, token: values.token, tokenFile: values['token-file'] },
        execute: (context) => run(context, parsed),
      };
    },
  };
}

/**
 * A flag that takes a value takes the next argument, whatever it looks like, as getopt does: parseArgs
 * refuses `--strip-suffix -canary` as ambiguous, but that is exactly how a suffix to strip is written.
 * Such pairs are joined into `--strip-suffix=-canary` before parsing.
 */
export function attachValues(args: readonly string[], options: OptionsConfig): string[] {
  const takesValue = new Map<string, string>();
  for (const [name, option] of Object.entries(options)) {
    if (option.type !== 'string') continue;
    takesValue.set(`--${name}`, name);
    if (option.short) takesValue.set(`-${option.short}`, name);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const name = takesValue.get(arg);
    const next = args[i + 1];
    if (name !== undefined && next !== undefined && next.startsWith('-')) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * Finds the command (and for `policy`, its subcommand) among the arguments without judging the flags yet:
 * a global flag's value must not be taken for the command name (`--url http://x status ID`).
 */
export function splitCommand(argv: readonly string[]): { command: string | undefined; rest: string[] } {
  const valued = new Set(Object.entries(GLOBAL_OPTIONS).flatMap(([name, option]) => (option.type === 'string' ? [`--${name}`] : [])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (valued.has(arg)) {
      i++;
      continue;
    }
    if (arg === '--') break;
    if (!arg.startsWith('-')) return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: undefined, rest: [...argv] };
}

export function required(command: string, values: Record<string, unknown>, names: readonly string[]): void {
  const missing = names.filter((name) => values[name] === undefined || values[name] === '');
  if (missing.length > 0) {
    throw new UsageError(`missing required ${missing.length === 1 ? 'flag' : 'flags'} ${missing.map((name) => `--${name}`).join(', ')}`, command);
  }
}

/** Exactly `count` positionals, named for the message (e.g. `['ID']`). */
export function expectPositionals(command: string, positionals: readonly string[], names: readonly string[]): string[] {
  if (positionals.length < names.length) throw new UsageError(`missing ${names.slice(positionals.length).join(' ')}`, command);
  if (positionals.length > names.length) throw new UsageError(`unexpected argument '${positionals[names.length]}'`, command);
  return [...positionals];
}

export function positiveInteger(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${flag} must be a positive whole number, not '${value}'`, command);
  return Number(value);
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `90`, `90s`, `15m`, `1h30m`, `500ms` -> milliseconds (a bare number is seconds). */
export function duration(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value) {
    throw new UsageError(`--${flag} must be a duration such as 90s, 15m or 1h30m, not '${value}'`, command);
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (UNITS[part[2] ?? 's'] ?? 1_000), 0);
}

function cleanParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // parseArgs explains itself well but at length; keep its first sentence.
  return message.split('. ')[0]?.replace(/\.$/, '') ?? message;
}
