import { describe, expect, it } from 'vitest';
import { redact } from './redact.js';

describe('redact', () => {
  const cases: ReadonlyArray<[string, { given: string; secrets: string[]; want: string }]> = [
    ['the secret itself', { given: 'token ab$c/d+e= rejected', secrets: ['ab$c/d+e='], want: 'token *** rejected' }],
    ['every occurrence', { given: 'x s3cret y s3cret', secrets: ['s3cret'], want: 'x *** y ***' }],
    ['URL-encoded', { given: 'https://h/?t=ab%24c', secrets: ['ab$c'], want: 'https://h/?t=***' }],
    ['Basic-encoded user:secret', { given: `Authorization: Basic ${Buffer.from('u:pw').toString('base64')}`, secrets: ['pw', 'u:pw'], want: 'Authorization: Basic ***' }],
    ['URL userinfo whatever the secret list', { given: 'fatal: unable to access https://bob:hunter2@git.example.com/x.git', secrets: [], want: 'fatal: unable to access https://***@git.example.com/x.git' }],
    ['an empty secret changes nothing', { given: 'plain text', secrets: [''], want: 'plain text' }],
  ];
  it.each(cases)('%s', (_name, { given, secrets, want }) => expect(redact(given, secrets)).toBe(want));
});
