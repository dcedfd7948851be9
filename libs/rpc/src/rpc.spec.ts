import { describe, expect, it, vi } from 'vitest';
import type { CallHandler, ExecutionContext, ArgumentsHost } from '@nestjs/common';
import { firstValueFrom, of } from 'rxjs';
import { DEADLINE_HEADER, DeadlineInterceptor, deadlineHeaders, RpcErrorFilter, rpcError } from './index';

function rpcContext(headers?: ReturnType<typeof deadlineHeaders>, type = 'rpc'): ExecutionContext {
  return { getType: () => type, switchToRpc: () => ({ getContext: () => ({ getHeaders: () => headers }) }) } as unknown as ExecutionContext;
}
const handler: CallHandler = { handle: () => of('handled') };

describe('DeadlineInterceptor', () => {
  const now = 1_000_000;
  const interceptor = new DeadlineInterceptor(() => now);

  it('lets a request through before its deadline, and one without a deadline', async () => {
    await expect(firstValueFrom(interceptor.intercept(rpcContext(deadlineHeaders(now + 1)), handler))).resolves.toBe('handled');
    await expect(firstValueFrom(interceptor.intercept(rpcContext(undefined), handler))).resolves.toBe('handled');
    await expect(firstValueFrom(interceptor.intercept(rpcContext(undefined, 'http'), handler))).resolves.toBe('handled');
  });

  it('refuses a request that arrives after its deadline with 503 unavailable, without running the handler', async () => {
    const handle = vi.fn(() => of('handled'));
    const late = interceptor.intercept(rpcContext(deadlineHeaders(now - 1)), { handle });
    await expect(firstValueFrom(late)).rejects.toMatchObject({
      error: { error: 'unavailable', message: expect.stringMatching(/expired.*nothing was changed/) },
    });
    expect(handle).not.toHaveBeenCalled();
    expect(deadlineHeaders(now).get(DEADLINE_HEADER)).toBe(String(now));
  });
});

describe('RpcErrorFilter', () => {
  const logger = { error: vi.fn() };
  const filter = new RpcErrorFilter('settings service', logger);
  const host = {} as ArgumentsHost;

  it('relays a service error as it is', async () => {
    await expect(firstValueFrom(filter.catch(rpcError('conflict', 'Taken.'), host))).rejects.toEqual({ error: 'conflict', message: 'Taken.' });
  });

  it('turns a Postgres outage into 503 unavailable without logging it as a bug', async () => {
    logger.error.mockClear();
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    await expect(firstValueFrom(filter.catch(outage, host))).rejects.toEqual({
      error: 'unavailable',
      message: 'The settings service database is unavailable; nothing was changed. Try again shortly.',
    });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('logs anything else with its stack and answers 503 without its message', async () => {
    logger.error.mockClear();
    const bug = new TypeError('cannot read properties of undefined (secret detail)');
    const body = await firstValueFrom(filter.catch(bug, host)).catch((e: unknown) => e);
    expect(body).toEqual({ error: 'unavailable', message: 'The settings service failed to handle the request; try again shortly.' });
    expect(logger.error).toHaveBeenCalledWith({ err: bug }, 'unexpected error in a request handler');
    expect((logger.error.mock.calls[0][0] as { err: Error }).err.stack).toContain('TypeError');
  });
});
