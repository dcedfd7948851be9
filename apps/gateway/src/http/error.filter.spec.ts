import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  ImATeapotException,
  InternalServerErrorException,
  NotFoundException,
  UnauthorizedException,
  type ArgumentsHost,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { errorCodes } from 'fastify';
import type { PinoLogger } from 'nestjs-pino';
import { describe, expect, it } from 'vitest';
import { Secret } from '@helix/secrets';
import { ApiError } from './errors';
import { ErrorFilter } from './error.filter';

/** The filter with a fake reply and logger: what it sends, and what it logs. */
function filter() {
  const logged: Array<[Record<string, unknown>, string]> = [];
  const logger = { error: (fields: Record<string, unknown>, msg: string) => logged.push([fields, msg]) } as unknown as PinoLogger;
  const sut = new ErrorFilter(logger);
  const answer = (exception: unknown) => {
    const sent: { status?: number; headers: Record<string, string>; body?: any } = { headers: {} };
    const reply = {
      status: (s: number) => ((sent.status = s), reply),
      header: (k: string, v: string) => ((sent.headers[k] = v), reply),
      send: (b: unknown) => ((sent.body = b), reply),
    };
    sut.catch(exception, { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost);
    expect(sent.headers['content-type']).toBe('application/json; charset=utf-8');
    return { status: sent.status, body: sent.body };
  };
  return { answer, logged };
}

/** A Fastify error as Fastify raises it, and as Nest hands it to filters (wrapped in an HttpException). */
const fastifyError = (code: keyof typeof errorCodes) => new (errorCodes[code] as unknown as new () => Error)();
const asNestHandsIt = (err: Error) => new FastifyAdapter().mapException(err) as unknown;

describe('ErrorFilter', () => {
  it('sends an ApiError as it is, with its status', () => {
    const { answer } = filter();
    const body = { error: 'bad_request' as const, message: 'Invalid request: name is required.', details: [{ field: 'name', message: 'name is required' }] };
    expect(answer(new ApiError(body))).toEqual({ status: 400, body });
    expect(answer(new ApiError({ error: 'unavailable', message: 'The models-service is unavailable; try again shortly.' }))).toMatchObject({ status: 503 });
    expect(answer(new ApiError({ error: 'bad_request', message: 'Too large.' }, 413))).toMatchObject({ status: 413, body: { error: 'bad_request' } });
  });

  it("answers the router's 404 without repeating the path", () => {
    const { answer } = filter();
    expect(answer(new NotFoundException('Cannot GET /api/v1/hf_secretPath'))).toEqual({
      status: 404,
      body: { error: 'not_found', message: 'No route matches this method and path.' },
    });
    expect(answer(new NotFoundException('No model with this id.'))).toEqual({ status: 404, body: { error: 'not_found', message: 'No model with this id.' } });
  });

  it("maps Nest's exceptions to the code of their status, as one sentence", () => {
    const { answer } = filter();
    expect(answer(new UnauthorizedException('The API key is not valid.'))).toEqual({
      status: 401,
      body: { error: 'unauthorized', message: 'The API key is not valid.' },
    });
    expect(answer(new ForbiddenException('Admin privileges are required for this route.'))).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(answer(new ConflictException('A user with this name already exists.'))).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect(answer(new BadRequestException(['a is wrong', 'b is wrong']))).toEqual({
      status: 400,
      body: { error: 'bad_request', message: 'a is wrong; b is wrong.' },
    });
    expect(answer(new ImATeapotException('No coffee'))).toEqual({ status: 400, body: { error: 'bad_request', message: 'No coffee.' } });
    expect(answer(new HttpException({ error: 'conflict', message: 'Relayed.' }, 409))).toEqual({
      status: 409,
      body: { error: 'conflict', message: 'Relayed.' },
    });
  });

  it('answers 503 when Postgres is unreachable (nobody can be authenticated)', () => {
    const { answer, logged } = filter();
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(answer(down)).toEqual({ status: 503, body: { error: 'unavailable', message: 'The database is unavailable; try again shortly.' } });
    expect(answer(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toMatchObject({ status: 503 });
    expect(logged).toEqual([]);
  });

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'The request body is too large (the limit is 1 MB).'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'The request body must be JSON (Content-Type: application/json).'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'The request body is empty; send a JSON object.'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'The request body is not valid JSON.'],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'The request body does not match its Content-Length.'],
  ] as const)("answers Fastify's %s in the docs/reference/rest.md shape with %i, raw or as Nest wraps it", (code, status, message) => {
    const { answer, logged } = filter();
    const expected = { status, body: { error: 'bad_request', message } };
    expect(answer(fastifyError(code))).toEqual(expected);
    const wrapped = asNestHandsIt(fastifyError(code));
    expect(wrapped).toBeInstanceOf(HttpException);
    expect(answer(wrapped)).toEqual(expected);
    expect(logged).toEqual([]);
  });

  it("never relays another Fastify client error's own message", () => {
    const { answer } = filter();
    const odd = Object.assign(new Error('Bad thing with hf_quoted_input'), { name: 'FastifyError', code: 'FST_ERR_SOMETHING_NEW', statusCode: 400 });
    expect(answer(odd)).toEqual({ status: 400, body: { error: 'bad_request', message: 'The request could not be read.' } });
    expect(answer(asNestHandsIt(odd))).toEqual({ status: 400, body: { error: 'bad_request', message: 'The request could not be read.' } });
  });

  it('answers anything else with a bare 500 and logs the Error itself, stack included', () => {
    const { answer, logged } = filter();
    const bug = new TypeError(`cannot read properties of undefined (token ${Secret.of('hf_neverPrinted0123456789')})`);
    expect(answer(bug)).toEqual({ status: 500, body: { error: 'internal', message: 'An unexpected error occurred.' } });
    expect(logged).toHaveLength(1);
    expect(logged[0][1]).toBe('unexpected error');
    expect(logged[0][0].err).toBe(bug);
    expect((logged[0][0].err as Error).stack).toMatch(/^TypeError: /);
    expect(bug.message).not.toContain('hf_neverPrinted');

    expect(answer(new InternalServerErrorException('boom'))).toMatchObject({ status: 500, body: { error: 'internal' } });
    expect(answer('a thrown string with hf_something')).toMatchObject({ status: 500, body: { error: 'internal' } });
    expect(logged.at(-1)![0]).toEqual({ err: { type: 'string' } });
  });
});
