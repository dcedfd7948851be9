import { createHash, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

export const REDACTED = '[REDACTED]';

/** `sha256:` + the first 12 hex digits of SHA-256(token): identifies a token without revealing it. */
export function fingerprint(token: string): string {
  return 'sha256:' + createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 12);
}

/**
 * A string that refuses to print itself. The value lives in an ECMAScript private field, which
 * JSON.stringify, util.inspect, pino, structuredClone and Object.keys cannot see; every
 * conversion hook returns [REDACTED]. Only `reveal()` gives the value, so every place that
 * handles the clear text is greppable.
 */
export class Secret {
  readonly #value: string;

  private constructor(value: string) {
    this.#value = value;
    // Stops anyone from swapping toJSON/toString on an instance to leak the value.
    Object.freeze(this);
  }

  static of(value: string): Secret {
    if (typeof value !== 'string') throw new TypeError(`Secret.of expects a string, got ${typeof value}`);
    return new Secret(value);
  }

  static isSecret(value: unknown): value is Secret {
    return value instanceof Secret;
  }

  reveal(): string {
    return this.#value;
  }

  get fingerprint(): string {
    return fingerprint(this.#value);
  }

  /** Constant-time: compares fixed-length digests, so neither content nor length leaks through timing. */
  equals(other: Secret | string): boolean {
    const theirs = other instanceof Secret ? other.#value : other;
    if (typeof theirs !== 'string') return false;
    return timingSafeEqual(digest(this.#value), digest(theirs));
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
