import { describe, expect, it } from 'vitest';
import { describeHttpFailure, describeNetworkFailure, invalidFields } from './http-errors';

describe('describeHttpFailure', () => {
  it('401 tells the operator to set HELIX_API_KEY, with or without a key given', () => {
    const body = { error: 'unauthorized', message: 'A valid API key is required.' };
    expect(describeHttpFailure({ status: 401, body, apiKeyGiven: true })).toMatch(/rejected.*set HELIX_API_KEY/);
    expect(describeHttpFailure({ status: 401, body, apiKeyGiven: false })).toMatch(/no API key given.*set HELIX_API_KEY/);
    expect(describeHttpFailure({ status: 401, body: undefined, apiKeyGiven: false })).toContain('HELIX_API_KEY');
  });

  it('403 says admin privileges are required', () => {
    const msg = describeHttpFailure({ status: 403, body: { error: 'forbidden', message: 'Admin privileges are required.' }, apiKeyGiven: true });
    expect(msg).toMatch(/^admin privileges are required/);
    expect(msg).toContain('403');
  });

  it("403 from a scope's route relays who may (docs/reference/rest.md); without a sentence it asks for admin", () => {
    const msg = describeHttpFailure({
      status: 403,
      body: { error: 'forbidden', message: 'Only an admin or a member of this org may see its token settings.' },
      apiKeyGiven: true,
    });
    expect(msg).toBe('permission denied: Only an admin or a member of this org may see its token settings (HTTP 403 forbidden)');
    expect(describeHttpFailure({ status: 403, body: undefined, apiKeyGiven: true })).toMatch(/^admin privileges are required/);
  });

  it('400 lists every invalid field once, with the reasons', () => {
    const body = {
      error: 'bad_request',
      message: 'Invalid request: …',
      details: [
        { field: 'memory', message: 'memory must be bytes or a size such as 39GB' },
        { field: 'context_length', message: 'is required for chat models' },
        { field: 'memory', message: 'memory must be positive' },
        'garbage',
      ],
    };
    const msg = describeHttpFailure({ status: 400, body, apiKeyGiven: true });
    expect(msg).toMatch(/^invalid request \(HTTP 400\): invalid fields: memory, context_length \(/);
    expect(msg).toContain('memory must be bytes or a size such as 39GB');
    expect(msg).toContain('context_length: is required for chat models');
    expect(msg).not.toContain('\n');
  });

  it('400 without details relays the server sentence', () => {
    expect(describeHttpFailure({ status: 400, body: { error: 'bad_request', message: 'The request body is not valid JSON.' }, apiKeyGiven: true })).toBe(
      'invalid request (HTTP 400): The request body is not valid JSON',
    );
  });

  it('404, 409 and 503 relay the server message with the status; multi-line messages become one line', () => {
    expect(describeHttpFailure({ status: 404, body: { error: 'not_found', message: 'Model x/y not found.' }, apiKeyGiven: true })).toBe(
      'Model x/y not found (HTTP 404 not found)',
    );
    expect(describeHttpFailure({ status: 409, body: { error: 'conflict', message: 'Model x/y already exists.' }, apiKeyGiven: true })).toBe(
      'Model x/y already exists (HTTP 409 conflict)',
    );
    const unavailable = describeHttpFailure({
      status: 503,
      body: { error: 'unavailable', message: 'The settings service\nis unavailable.' },
      apiKeyGiven: true,
    });
    expect(unavailable).toMatch(/unavailable \(HTTP 503\): The settings service is unavailable; nothing was changed/);
  });

  it('anything else says what came back, even without a JSON body', () => {
    expect(describeHttpFailure({ status: 502, body: undefined, apiKeyGiven: true })).toBe('unexpected response from the server (HTTP 502)');
    expect(describeHttpFailure({ status: 500, body: { error: 'internal', message: 'An unexpected error occurred.' }, apiKeyGiven: true })).toBe(
      'An unexpected error occurred (HTTP 500 internal)',
    );
  });

  it('invalidFields ignores malformed details', () => {
    expect(invalidFields({ details: 'nope' })).toEqual({ fields: [], messages: [] });
    expect(invalidFields(null)).toEqual({ fields: [], messages: [] });
  });
});

describe('describeNetworkFailure', () => {
  const url = 'http://127.0.0.1:9';

  it('names the URL and the reason found in the error chain', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(describeNetworkFailure(refused, url, 30_000)).toBe(
      `cannot reach the Helix API at ${url} (connection refused); is the gateway running? Check HELIX_URL (or --url)`,
    );
    const dns = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
    expect(describeNetworkFailure(dns, url, 30_000)).toContain('(host not found)');
    const aggregate = Object.assign(new TypeError('fetch failed'), { cause: { errors: [{ code: 'EHOSTUNREACH' }] } });
    expect(describeNetworkFailure(aggregate, url, 30_000)).toContain('(host unreachable)');
    expect(describeNetworkFailure(new TypeError('fetch failed'), url, 30_000)).toContain(url);
    // fetch refuses some ports outright (no code, only a cause message).
    expect(describeNetworkFailure(Object.assign(new TypeError('fetch failed'), { cause: new Error('bad port') }), 'http://127.0.0.1:1', 30_000)).toContain(
      '(bad port)',
    );
  });

  it('a timeout says how long it waited', () => {
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    expect(describeNetworkFailure(timeout, url, 30_000)).toBe(`no response from the Helix API at ${url} within 30 s; check HELIX_URL (or --url)`);
  });
});
