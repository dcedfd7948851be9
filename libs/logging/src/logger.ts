import { randomUUID } from 'node:crypto';
import type { DynamicModule, ExecutionContext } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import pino, { type LoggerOptions } from 'pino';
import type { LogLevel } from '@helix/config';
import { REQUEST_ID_HEADER, safeRequestId } from './request-id';

/**
 * Key-name redaction is only a second line of defence: tokens live in `Secret` values that print
 * as [REDACTED], and child-process output is scrubbed by value. These paths catch credentials that
 * arrive as plain strings in requests.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.body',
  'huggingface_token',
  'hf_token',
  'token',
  'api_key',
];

export function pinoOptions(service: string, level: LogLevel): LoggerOptions {
  return {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, remove: true },
    // Errors are logged as `err: error` and keep their type, stack and cause, so a 500 can be
    // diagnosed from its line. (A Secret in an error's fields prints as [REDACTED].)
    serializers: { err: pino.stdSerializers.errWithCause },
    hooks: {
      // NestJS's start-up narration (one line per module, controller and route) is debug, not info.
      logMethod(args, method, level) {
        if (level === INFO && isFrameworkBootLine(args[0])) return this.debug(...(args as [object, string]));
        return method.apply(this, args);
      },
    },
  };
}

const INFO = 30;

/** The Nest contexts that narrate start-up and shutdown: module loading, route mapping, "started". */
export const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'NestMicroservice',
  'ServerNats',
  'ClientProxy',
  'ClientNats',
  'TypeOrmModule',
  'LoggerModule',
]);

function isFrameworkBootLine(first: unknown): boolean {
  if (typeof first !== 'object' || first === null) return false;
  const context = (first as { context?: unknown }).context;
  return typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context);
}

let destination: pino.DestinationStream | undefined;

/**
 * Stdout, written asynchronously: a burst of lines (a runner replaying 100,000 scopes logs one per
 * scope) goes out in few large writes instead of one blocking write each. pino flushes it
 * synchronously when the process exits. One per process, shared by every logger.
 */
export function logDestination(): pino.DestinationStream {
  destination ??= pino.destination({ dest: 1, sync: false });
  return destination;
}

/**
 * nestjs-pino for every app: JSON lines on stdout, one service name per process. Every line logged
 * while handling an HTTP request or a NATS request carries its `request_id` (the gateway's, which
 * travels in the Helix-Request-Id NATS header). No line per request here: the gateway writes its
 * own access log (see apps/gateway/src/http/access-log.ts), which also covers the requests Nest
 * never sees (unknown routes, refused bodies); the services' HTTP ports serve only probes.
 */
export function loggingModule(service: string, level: LogLevel): DynamicModule {
  const options = pinoOptions(service, level);
  return LoggerModule.forRoot({
    pinoHttp: [
      {
        ...options,
        autoLogging: false,
        quietReqLogger: true,
        customAttributeKeys: { reqId: 'request_id' },
        // Fastify's request id (the gateway validates the client's X-Request-Id into it).
        genReqId: (req: { id?: unknown }) => (typeof req.id === 'string' ? req.id : randomUUID()),
        // Only what an operator needs from a request; never headers or bodies.
        serializers: {
          ...options.serializers,
          req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: (req.url ?? '').split('?')[0] }),
          res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        },
      },
      logDestination(),
    ],
    microservice: {
      // A line per NATS request is debug: the handlers log what changed, and the gateway's access
      // log has the request. Unexpected errors are logged with their stack by RpcErrorFilter.
      customLogLevel: () => 'debug',
      customAttributeKeys: { reqId: 'request_id' },
      quietRpcLogger: true,
      genReqId: (context: ExecutionContext) => natsRequestId(context) as string,
    },
  });
}

/** The request id a NATS request carries (Helix-Request-Id), when it is a safe token. */
function natsRequestId(context: ExecutionContext): string | undefined {
  try {
    const value = context.switchToRpc().getContext<NatsContext>().getHeaders?.()?.get?.(REQUEST_ID_HEADER);
    return safeRequestId(value);
  } catch {
    return undefined;
  }
}

/**
 * The request id of the HTTP or NATS request being handled, read from the logging context that
 * nestjs-pino keeps per request (any injected PinoLogger sees it), for passing on in NATS headers;
 * undefined outside a request.
 */
export function currentRequestId(logger: PinoLogger): string | undefined {
  const bindings = (logger.logger as pino.Logger | undefined)?.bindings?.();
  return safeRequestId(bindings?.request_id);
}

/** A plain pino logger for code outside Nest's container (bootstrap, scripts). */
export function createLogger(service: string, level: LogLevel): pino.Logger {
  return pino(pinoOptions(service, level), logDestination());
}
