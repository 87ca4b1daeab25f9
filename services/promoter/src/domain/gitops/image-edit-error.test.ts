import { describe, expect, it } from 'vitest';
import { ImageEditError } from './image-edit-error.js';

describe('ImageEditError', () => {
  it('is an Error named ImageEditError that carries its code, file and what was found', () => {
    const error = new ImageEditError('image-drift', 'deploy/web.yaml', 'deploy/web.yaml holds web:1', 'web:1');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ImageEditError');
    expect(String(error)).toBe('ImageEditError: deploy/web.yaml holds web:1');
    expect(error).toMatchObject({ code: 'image-drift', file: 'deploy/web.yaml', found: 'web:1' });
    expect(new ImageEditError('too-large', 'f.yaml', 'm').found).toBeUndefined();
  });
});
