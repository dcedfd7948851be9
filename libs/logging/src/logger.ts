import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { type LoggerOptions } from 'pino';
import type { LogLevel } from '@helix/config';

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

const HEALTH_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

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
  };
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

/** nestjs-pino for every app: JSON lines on stdout, one service name per process. */
export function loggingModule(service: string, level: LogLevel): DynamicModule {
  const options = pinoOptions(service, level);
  return LoggerModule.forRoot({
    pinoHttp: [
      {
        ...options,
        autoLogging: { ignore: (req) => HEALTH_ROUTES.has((req.url ?? '').split('?')[0]) },
        // Only what an operator needs from a request; never headers or bodies.
        serializers: {
          ...options.serializers,
          req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: req.url }),
          res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        },
      },
      logDestination(),
    ],
  });
}

/** A plain pino logger for code outside Nest's container (bootstrap, scripts). */
export function createLogger(service: string, level: LogLevel): pino.Logger {
  return pino(pinoOptions(service, level), logDestination());
}
