import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Secret } from '@helix/secrets';
import { pinoOptions } from './logger';

/** A real pino logger with the options every service uses, writing into an array of parsed lines. */
function capture(level: Parameters<typeof pinoOptions>[1] = 'info') {
  const lines: Array<Record<string, any>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, any>),
      );
      done();
    },
  });
  return { log: pino(pinoOptions('test-service', level), sink), lines };
}

const TOKEN = 'hf_LoggerSpecTokenValue0123456789abcd';

describe('pinoOptions', () => {
  it('logs an error with its type, stack and cause, so a 500 can be diagnosed from its line', () => {
    const { log, lines } = capture();
    const cause = new RangeError('inner failure');
    log.error({ err: new TypeError('outer failure', { cause }) }, 'unexpected error');
    expect(lines[0]).toMatchObject({ msg: 'unexpected error', level: 'error', service: 'test-service', err: { type: 'TypeError', message: 'outer failure' } });
    expect(lines[0].err.stack).toMatch(/^TypeError: outer failure\n\s+at /);
    expect(lines[0].err.cause).toMatchObject({ type: 'RangeError', message: 'inner failure' });
  });

  it('never prints a token that travels in an error as a Secret, or under a credential-shaped key', () => {
    const { log, lines } = capture();
    const err = Object.assign(new Error(`could not apply ${Secret.of(TOKEN)}`), { token: Secret.of(TOKEN), detail: { secret: Secret.of(TOKEN) } });
    log.error({ err, huggingface_token: TOKEN, req: { body: { huggingface_token: TOKEN } } }, 'failed');
    const text = JSON.stringify(lines);
    expect(text).not.toContain(TOKEN);
    expect(lines[0].err.message).toBe('could not apply [REDACTED]');
    expect(lines[0].err.detail.secret).toBe('[REDACTED]');
    expect(lines[0].huggingface_token).toBeUndefined();
  });

  it('uses the level it is given (LOG_LEVEL is read once, by the config)', () => {
    const quiet = capture('warn');
    quiet.log.info('not shown');
    quiet.log.warn('shown');
    expect(quiet.lines.map((l) => l.msg)).toEqual(['shown']);
    const loud = capture('debug');
    loud.log.debug('shown');
    expect(loud.lines.map((l) => l.msg)).toEqual(['shown']);
  });

  it("moves NestJS's start-up narration from info to debug, and leaves every other line alone", () => {
    const info = capture('info');
    info.log.info({ context: 'RoutesResolver' }, 'SettingsController {/}:');
    info.log.info({ context: 'InstanceLoader' }, 'LoggerModule dependencies initialized');
    info.log.warn({ context: 'NestMicroservice' }, 'a warning stays');
    info.log.info({ context: 'SettingsService' }, 'token settings updated');
    expect(info.lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'a warning stays'],
      ['info', 'token settings updated'],
    ]);
    const debug = capture('debug');
    debug.log.info({ context: 'RouterExplorer' }, 'Mapped {/healthz, GET} route');
    expect(debug.lines).toMatchObject([{ level: 'debug', context: 'RouterExplorer', msg: 'Mapped {/healthz, GET} route' }]);
  });
});
