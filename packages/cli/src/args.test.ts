import { describe, expect, it } from 'vitest';
import { attachValues, duration, parseCommand, splitCommand } from './args.js';
import { UsageError } from './exit-codes.js';

describe('splitCommand', () => {
  it.each([
    ['the first word', { given: ['status', 'ID'], want: { command: 'status', rest: ['ID'] } }],
    ['after global flags with values', { given: ['--url', 'http://x', '--token', 't', 'list', '--all'], want: { command: 'list', rest: ['--url', 'http://x', '--token', 't', '--all'] } }],
    ['after a boolean flag', { given: ['--json', 'status', 'ID'], want: { command: 'status', rest: ['--json', 'ID'] } }],
    ['none', { given: ['--help'], want: { command: undefined, rest: ['--help'] } }],
  ])('%s', (_name, { given, want }) => {
    expect(splitCommand(given)).toEqual(want);
  });
});

describe('attachValues', () => {
  const options = { 'strip-suffix': { type: 'string' }, container: { type: 'string', short: 'c' }, wait: { type: 'boolean' } } as const;
  it.each([
    ['a value that starts with a dash', { given: ['--strip-suffix', '-canary'], want: ['--strip-suffix=-canary'] }],
    ['a short flag with a dashed value', { given: ['-c', '-x'], want: ['--container=-x'] }],
    ['ordinary values are left alone', { given: ['--strip-suffix', 'canary', '--wait'], want: ['--strip-suffix', 'canary', '--wait'] }],
    ['a boolean flag takes no value', { given: ['--wait', '-c', 'proxy'], want: ['--wait', '-c', 'proxy'] }],
    ['nothing after --', { given: ['--', '--strip-suffix', '-x'], want: ['--', '--strip-suffix', '-x'] }],
  ])('%s', (_name, { given, want }) => {
    expect(attachValues(given, options)).toEqual(want);
  });

  it('lets parseArgs read --strip-suffix -canary', () => {
    const { values } = parseCommand('promote', ['--strip-suffix', '-canary', '--json'], { 'strip-suffix': { type: 'string' } });
    expect(values).toEqual({ 'strip-suffix': '-canary', json: true });
  });
});

describe('duration', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
  ])('%s', (given, want) => {
    expect(duration('promote', 'timeout', given)).toBe(want);
  });

  it.each(['soon', '10x', '1h 30m', '-5s', ''])('rejects %j', (given) => {
    expect(() => duration('promote', 'timeout', given)).toThrow(UsageError);
  });
});
