import { accessSync, constants, statSync } from 'node:fs';
import { parseMemory } from '@helix/contracts';
import { isBase64Key32, isKeyList } from '@helix/secrets';
import { Transform, ValidateBy, type ValidationOptions } from './validation';

// Every message names the variable ($property) and the expected form, never $value: values of
// configuration variables are often secrets, and these messages end up on stderr and in logs.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function rule(name: string, validate: (value: unknown) => boolean, expectation: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(name, validate, `$property must be ${expectation}`, options);
}

/** 32 bytes in strict standard base64 (an AES-256 key). */
export function IsBase64Key32(options?: ValidationOptions): PropertyDecorator {
  return rule('isBase64Key32', isBase64Key32, '32 bytes encoded as base64', options);
}

/** One base64 key of 32 bytes, or `kid:base64,…` with the sealing key first (key rotation of HELIX_ENCRYPTION_KEY / HELIX_SETTINGS_KEY). */
export function IsKeyList(options?: ValidationOptions): PropertyDecorator {
  return rule('isKeyList', isKeyList, '32 bytes encoded as base64, or a list "<key id>:<base64 key>,…" (the first key seals)', options);
}

/** One or more comma-separated nats:// or tls:// URLs, or bare host:port (as the NATS clients accept). */
export function IsNatsUrlList(options?: ValidationOptions): PropertyDecorator {
  const bareHostPort = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;
  return rule(
    'isNatsUrlList',
    (value) =>
      typeof value === 'string' && value.split(',').every((part) => bareHostPort.test(part.trim()) || hasProtocol(part.trim(), ['nats:', 'tls:'], true)),
    'a comma-separated list of nats:// or tls:// URLs (or host:port)',
    options,
  );
}

/** A postgres:// or postgresql:// connection URL. */
export function IsPostgresUrl(options?: ValidationOptions): PropertyDecorator {
  // The host may be empty (a Unix socket given by ?host=), so only the scheme and syntax are checked.
  return rule(
    'isPostgresUrl',
    (value) => typeof value === 'string' && hasProtocol(value, ['postgres:', 'postgresql:'], false),
    'a postgres:// or postgresql:// URL',
    options,
  );
}

/** A TCP port, 0–65535, as a decimal string or (after @EnvInt) a number; 0 asks for any free port. */
export function IsPort(options?: ValidationOptions): PropertyDecorator {
  return rule(
    'isPort',
    (value) => {
      const n = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
      return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535;
    },
    'an integer port from 0 to 65535',
    options,
  );
}

/** A whole number from min to max, as decimal text or (after @EnvInt) a number. */
export function IsIntBetween(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return rule(
    'isIntBetween',
    (value) => {
      const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value;
      return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
    },
    `an integer from ${min} to ${max}`,
    options,
  );
}

/**
 * HELIX_NATS_STREAM_REPLICAS (docs/reference/security.md): how many JetStream servers keep a copy of each stream the
 * service owns. 1 (the default) suits a single nats-server; 3 survives the loss of one server of a
 * cluster. JetStream allows at most 5.
 */
export function IsStreamReplicas(options?: ValidationOptions): PropertyDecorator {
  return IsIntBetween(1, 5, options);
}

/** A memory size such as 80GB or 24GiB, or a positive number of bytes (see parseMemory). */
export function IsMemorySize(options?: ValidationOptions): PropertyDecorator {
  return rule('isMemorySize', (value) => parseMemory(value) !== null, 'a memory size such as 80GB, 24GiB or a number of bytes', options);
}

/** A pino level. */
export function IsLogLevel(options?: ValidationOptions): PropertyDecorator {
  return rule('isLogLevel', (value) => (LOG_LEVELS as readonly unknown[]).includes(value), `one of ${LOG_LEVELS.join(', ')}`, options);
}

// The transform below converts only well-formed text and passes anything else through unchanged,
// so the validator reports it by variable name instead of the value turning into NaN.

/** Decimal integer text → number (e.g. a port). */
export function EnvInt(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string' || !/^[+-]?\d+$/.test(value.trim())) return value;
    const n = Number(value.trim());
    return Number.isSafeInteger(n) ? n : value;
  });
}

function hasProtocol(text: string, protocols: string[], needsHost: boolean): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return protocols.includes(url.protocol) && (!needsHost || url.hostname !== '');
}

/** A path this process can read (credentials, CA bundles): a missing file is a start-up error, not a failed connection later. */
export function IsReadableFile(options?: ValidationOptions): PropertyDecorator {
  return rule(
    'isReadableFile',
    (value) => {
      if (typeof value !== 'string' || value === '') return false;
      try {
        accessSync(value, constants.R_OK);
        return statSync(value).isFile();
      } catch {
        return false;
      }
    },
    'the path of a readable file',
    options,
  );
}
