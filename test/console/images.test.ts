/** Image references as the console shows them (packages/console/app/lib/images.ts). */
import { describe, expect, it } from 'vitest';
import type { Promotion } from '@promoter/sdk';
import { imageChange, imagePieces } from '../../packages/console/app/lib/images.js';

type Given = Pick<Promotion, 'previousImage' | 'resolvedImage' | 'image' | 'source' | 'state'>;
const promotion = (over: Partial<Given>): Given => ({ previousImage: null, resolvedImage: null, image: null, source: null, state: 'analyzing', ...over });
const canary = { deployment: 'web-canary' } as Promotion['source'];

describe('imageChange', () => {
  const cases: ReadonlyArray<[string, { given: Given; want: ReturnType<typeof imageChange> }]> = [
    ['both known', { given: promotion({ previousImage: 'r/web:1.0', resolvedImage: 'r/web:1.1' }), want: [{ text: 'r/web:1.0', known: true }, { text: 'r/web:1.1', known: true }] }],
    ['the resolved image wins over the requested one', { given: promotion({ previousImage: 'r/web:1.0', image: 'r/web:1.1', resolvedImage: 'r/web:1.1@sha256:ab' }), want: [{ text: 'r/web:1.0', known: true }, { text: 'r/web:1.1@sha256:ab', known: true }] }],
    ['production not read yet', { given: promotion({ image: 'r/web:1.1' }), want: [{ text: 'current image not yet resolved', known: false }, { text: 'r/web:1.1', known: true }] }],
    ['the canary not resolved yet', { given: promotion({ previousImage: 'r/web:1.0', source: canary }), want: [{ text: 'r/web:1.0', known: true }, { text: "the canary web-canary's image, not yet resolved", known: false }] }],
    ['nothing known yet, from a canary', { given: promotion({ source: canary }), want: [{ text: "the canary web-canary's image, not yet resolved", known: false }] }],
    ['nothing known, and it is over', { given: promotion({ state: 'rejected' }), want: [{ text: 'images not resolved', known: false }] }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(imageChange(given)).toEqual(want);
  });
});

describe('imagePieces', () => {
  const cases: ReadonlyArray<[string, { given: string; want: string[] }]> = [
    ['a short name', { given: 'nginx', want: ['nginx'] }],
    ['a registry, a port, a path and a tag', { given: 'registry.example:5000/team/app:1.2.3-rc.1', want: ['registry.example:', '5000/', 'team/', 'app:', '1.2.3-rc.1'] }],
    ['a digest', { given: 'app@sha256:0123abcd', want: ['app@', 'sha256:', '0123abcd'] }],
    ['a hyphenated name stays whole', { given: 'registry.example/very-long-service-name', want: ['registry.example/', 'very-long-service-name'] }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(imagePieces(given)).toEqual(want);
    expect(imagePieces(given).join('')).toBe(given);
  });
});
