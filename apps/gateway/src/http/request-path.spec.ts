import { describe, expect, it } from 'vitest';
import { nonCanonicalPathReason } from './request-path';

describe('nonCanonicalPathReason', () => {
  it.each([
    '/api/v1/users',
    '/api/v1/users/me',
    '/api/v1/models/Qwen/Qwen2.5-VL-7B-Instruct',
    '/api/v1/models/Qwen%2FQwen2.5-VL-7B-Instruct',
    '/api/v1/models/org%3Amodel',
    '/api/v1/users?x=%76&y=//a/../b',
    '/healthz',
    '/',
    '/api/v1/users/',
  ])('accepts the canonical path %s', (target) => {
    expect(nonCanonicalPathReason(target)).toBeNull();
  });

  it.each([
    ['/api/%761/users', /percent-encodes/],
    ['/%61pi/v1/users', /percent-encodes/],
    ['/api/v%31/users', /percent-encodes/],
    ['/%61%70%69/%76%31/users', /percent-encodes/],
    ['/api/v1/%2e%2e/v1/users', /percent-encodes/],
    ['/api/v1/users%7e', /percent-encodes/],
    ['/api/v1/models/a%', /two hex digits/],
    ['/api/v1/models/a%2', /two hex digits/],
    ['/api/v1/models/a%zz', /two hex digits/],
    ['//api/v1/users', /empty segment/],
    ['/api//v1/users', /empty segment/],
    ['/api/./v1/users', /"\." or "\.\." segment/],
    ['/api/x/../v1/users', /"\." or "\.\." segment/],
    ['/api/v1/users/..', /"\." or "\.\." segment/],
    ['/api\\v1/users', /backslash/],
    ['/api/v1/users#frag', /"#"/],
    ['http://helix.example/api/v1/users', /absolute-form/],
    ['HTTP://helix.example/api/v1/users', /absolute-form/],
    ['*', /absolute-form/],
    ['', /absolute-form/],
  ])('refuses %s', (target, reason) => {
    expect(nonCanonicalPathReason(target)).toMatch(reason);
  });
});
