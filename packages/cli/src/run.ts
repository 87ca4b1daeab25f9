/**
 * The CLI as a function: arguments and streams in, exit code out. The bin (`cli.ts`) only wires it to the
 * process, so tests run the real thing in-process.
 */
import { readFileSync } from 'node:fs';
import { createPromoterClient, isPromoterError, isPromoterNetworkError, PromoterAbortError, type FetchFunction } from '@promoter/sdk';
import { splitCommand, type Command } from './args.js';
import { actionCommand } from './commands/actions.js';
import { blockCommand } from './commands/block.js';
import { evaluateCommand } from './commands/evaluate.js';
import { eventsCommand } from './commands/events.js';
import { notificationsCommand } from './commands/notifications.js';
import { listCommand } from './commands/list.js';
import { pipelineCommand } from './commands/pipeline.js';
import { policyCommand } from './commands/policy.js';
import { freezeCommand } from './commands/freeze.js';
import { promoteCommand } from './commands/promote.js';
import { statusCommand } from './commands/status.js';
import type { CommandContext } from './context.js';
import { EXIT, exitCodeForError, UsageError } from './exit-codes.js';
import { commandHelp, MAIN_HELP } from './help.js';
import { chooseToken } from './token-source.js';
import { Output, wantsColour, type TextSink } from './output.js';

export const DEFAULT_URL = 'http://localhost:8080';

export interface RunOptions {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Where PROMOTER_URL, PROMOTER_TOKEN and NO_COLOR come from. Default: none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (live view, colours). Default false. */
  readonly isTTY?: boolean;
  /** Aborting it (Ctrl-C) stops a wait; the run then returns 130. */
  readonly signal?: AbortSignal;
  readonly cwd?: string;
  readonly columns?: number | undefined;
  /** Replaces the global fetch (proxies, instrumentation). */
  readonly fetch?: FetchFunction;
}

const COMMANDS: Record<string, Command> = {
  promote: promoteCommand,
  status: statusCommand,
  list: listCommand,
  events: eventsCommand,
  notifications: notificationsCommand,
  abort: actionCommand('abort'),
  rollback: actionCommand('rollback'),
  approve: actionCommand('approve'),
  finalize: actionCommand('finalize'),
  policy: policyCommand,
  freeze: freezeCommand,
  evaluate: evaluateCommand,
  block: blockCommand,
  pipeline: pipelineCommand,
};

/**
 * Runs one `promoter` command line and resolves with its exit code; never throws.
 *
 * @example
 * ```ts
 * const code = await run(['status', id, '--json'], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * ```
 */
export async function run(argv: readonly string[], options: RunOptions): Promise<number> {
  const env = options.env ?? {};
  const isTTY = options.isTTY ?? false;
  const outputFor = (json: boolean, noColor: boolean) =>
    new Output({ stdout: options.stdout, stderr: options.stderr, isTTY, json, color: wantsColour(isTTY, env, noColor) });
  const { command, rest } = splitCommand(argv);

  if (command === undefined) {
    const output = outputFor(false, rest.includes('--no-color'));
    if (rest.includes('--version')) {
      output.line(version());
      return EXIT.ok;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      output.block(MAIN_HELP);
      return EXIT.ok;
    }
    return usage(output, new UsageError(rest.length === 0 ? 'missing command' : `unknown flag or missing command: ${rest.join(' ')}`));
  }
  const handler = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!handler) return usage(outputFor(false, false), new UsageError(`unknown command '${command}'`));
  // Parsed once, with the command's own flags: a flag's value is never read as a global flag.
  let prepared;
  try {
    prepared = handler.prepare(command, rest);
  } catch (error) {
    return report(outputFor(false, false), error, DEFAULT_URL);
  }
  const { globals } = prepared;
  const output = outputFor(globals.json, globals.noColor);
  if (globals.help) {
    output.block(commandHelp(command));
    return EXIT.ok;
  }

  const url = globals.url ?? env.PROMOTER_URL ?? DEFAULT_URL;
  try {
    const token = chooseToken(globals, env, options.cwd ?? process.cwd(), command);
    if (!/^https?:\/\/[^\s/]+/.test(url)) throw new UsageError(`--url (or PROMOTER_URL) must be an http(s) URL, not '${url}'`, command);
    const client = createPromoterClient({
      baseUrl: url,
      ...(token ? { token } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    const context: CommandContext = {
      client,
      output,
      signal: options.signal ?? new AbortController().signal,
      cwd: options.cwd ?? process.cwd(),
      columns: options.columns,
    };
    return await prepared.execute(context);
  } catch (error) {
    return report(output, error, url);
  }
}

function usage(output: Output, error: UsageError): number {
  output.error(`promoter: ${error.message}`);
  output.error(`Run 'promoter ${error.command ? `${error.command} ` : ''}--help' for usage.`);
  return EXIT.usage;
}

/** Says what went wrong, in words and (with --json) as a document, and picks the exit code. */
function report(output: Output, error: unknown, url: string): number {
  if (error instanceof UsageError) return usage(output, error);
  if (error instanceof PromoterAbortError) {
    output.error('promoter: interrupted; the promotion itself goes on.');
    return EXIT.interrupted;
  }
  const code = exitCodeForError(error);
  if (isPromoterNetworkError(error)) {
    output.error(`promoter: cannot reach the service at ${url}: ${error.message}`);
    output.error('Is it running? Set the address with --url or PROMOTER_URL.');
    if (output.json) output.document({ error: { code: 'unreachable', url, detail: error.message } });
  } else if (isPromoterError(error)) {
    output.error(`promoter: ${error.title}${error.detail ? `: ${error.detail}` : ''} (HTTP ${error.status} ${error.code})`);
    for (const field of error.errors) output.error(`  ${field.pointer || '/'}: ${field.detail}`);
    if (error.status === 401 || error.status === 403) output.error('Check the token: --token or PROMOTER_TOKEN, --token-file or PROMOTER_TOKEN_FILE.');
    if (error.requestId) output.error(output.style.dim(`request id: ${error.requestId}`));
    if (output.json) output.document({ error: error.toJSON() });
  } else {
    const message = error instanceof Error ? error.message : String(error);
    output.error(`promoter: ${message}`);
    if (output.json) output.document({ error: { code: (error as { code?: unknown }).code ?? 'error', detail: message } });
  }
  return code;
}

function version(): string {
  // package.json sits one level above both src/ (tsx) and dist/ (built).
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
