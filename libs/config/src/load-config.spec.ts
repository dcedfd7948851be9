import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  DatabaseServiceConfig,
  EnvInt,
  IsBase64Key32,
  IsInt,
  IsLogLevel,
  IsMemorySize,
  IsNatsUrlList,
  IsOptional,
  IsPort,
  IsPostgresUrl,
  IsStreamReplicas,
  IsString,
  loadConfig,
  loadConfigOrExit,
  MicroserviceConfig,
  ServiceConfig,
  type LogLevel,
} from './index';

class SampleConfig {
  @IsNatsUrlList()
  HELIX_NATS_URL = 'nats://127.0.0.1:4222';

  @IsPostgresUrl()
  DATABASE_URL!: string;

  @EnvInt()
  @IsPort()
  HELIX_HTTP_PORT = 8080;

  @IsBase64Key32()
  HELIX_ENCRYPTION_KEY!: string;

  @IsOptional()
  @IsString()
  HELIX_NATS_USER?: string;

  @IsLogLevel()
  LOG_LEVEL: LogLevel = 'info';

  @IsOptional()
  @IsMemorySize()
  HELIX_RUNNER_MEMORY?: string;
}

const KEY = Buffer.alloc(32, 9).toString('base64');
const VALID = { DATABASE_URL: 'postgres://helix:pw@127.0.0.1:5432/helix', HELIX_ENCRYPTION_KEY: KEY };

function configError(env: NodeJS.ProcessEnv, cls: new () => object = SampleConfig): ConfigError {
  try {
    loadConfig(cls, env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('returns a typed instance with defaults and conversions applied', () => {
    const config = loadConfig(SampleConfig, { ...VALID, HELIX_HTTP_PORT: '9000' });
    expect(config).toBeInstanceOf(SampleConfig);
    expect(config.HELIX_HTTP_PORT).toBe(9000);
    expect(config.HELIX_NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.HELIX_NATS_USER).toBeUndefined();
  });

  it('ignores unrelated environment variables', () => {
    const config = loadConfig(SampleConfig, { ...VALID, PATH: '/usr/bin', AWS_SECRET_ACCESS_KEY: 'nope' });
    expect('PATH' in config).toBe(false);
    expect(JSON.stringify(config)).not.toContain('nope');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(SampleConfig, { ...VALID, LOG_LEVEL: '', HELIX_HTTP_PORT: '' })).toMatchObject({ LOG_LEVEL: 'info', HELIX_HTTP_PORT: 8080 });
    expect(configError({ ...VALID, DATABASE_URL: '' }).message).toBe('invalid configuration: DATABASE_URL is required');
  });

  it('names every missing required variable on one line', () => {
    const e = configError({});
    expect(e.message).toBe('invalid configuration: DATABASE_URL is required; HELIX_ENCRYPTION_KEY is required');
    expect(e.variables).toEqual(['DATABASE_URL', 'HELIX_ENCRYPTION_KEY']);
    expect(e.name).toBe('ConfigError');
  });

  it.each([
    ['31 bytes', Buffer.alloc(31, 9).toString('base64')],
    ['33 bytes', Buffer.alloc(33, 9).toString('base64')],
    ['hex', Buffer.alloc(32, 9).toString('hex')],
    ['trailing garbage', KEY + '!!'],
  ])('rejects a malformed key (%s) without printing it', (_name, key) => {
    const e = configError({ ...VALID, HELIX_ENCRYPTION_KEY: key });
    expect(e.message).toBe('invalid configuration: HELIX_ENCRYPTION_KEY must be 32 bytes encoded as base64');
    expect(e.message).not.toContain(key);
  });

  it.each([
    ['HELIX_HTTP_PORT', '65536', 'an integer port from 0 to 65535'],
    ['HELIX_HTTP_PORT', '-1', 'an integer port from 0 to 65535'],
    ['HELIX_HTTP_PORT', '80.5', 'an integer port from 0 to 65535'],
    ['HELIX_HTTP_PORT', 'http', 'an integer port from 0 to 65535'],
    ['HELIX_NATS_URL', 'http://127.0.0.1:4222', 'a comma-separated list of nats:// or tls:// URLs (or host:port)'],
    ['HELIX_NATS_URL', 'nats://a:4222,', 'a comma-separated list of nats:// or tls:// URLs (or host:port)'],
    ['HELIX_NATS_URL', '127.0.0.1', 'a comma-separated list of nats:// or tls:// URLs (or host:port)'],
    ['DATABASE_URL', 'mysql://h/db', 'a postgres:// or postgresql:// URL'],
    ['DATABASE_URL', 'helix@localhost', 'a postgres:// or postgresql:// URL'],
    ['LOG_LEVEL', 'DEBUG', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['LOG_LEVEL', 'verbose', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['HELIX_RUNNER_MEMORY', 'lots', 'a memory size such as 80GB, 24GiB or a number of bytes'],
    ['HELIX_RUNNER_MEMORY', '0GB', 'a memory size such as 80GB, 24GiB or a number of bytes'],
  ])('rejects %s=%s', (name, value, expectation) => {
    expect(configError({ ...VALID, [name]: value }).message).toBe(`invalid configuration: ${name} must be ${expectation}`);
  });

  it.each([
    ['HELIX_HTTP_PORT', '0', 0],
    ['HELIX_HTTP_PORT', '65535', 65535],
    ['HELIX_NATS_URL', 'nats://a:4222, tls://b:4443', 'nats://a:4222, tls://b:4443'],
    ['HELIX_NATS_URL', '127.0.0.1:4222,nats-0.nats:4222', '127.0.0.1:4222,nats-0.nats:4222'],
    ['DATABASE_URL', 'postgresql:///helix?host=/var/run/postgresql', 'postgresql:///helix?host=/var/run/postgresql'],
    ['LOG_LEVEL', 'silent', 'silent'],
    ['HELIX_RUNNER_MEMORY', '80GB', '80GB'],
    ['HELIX_RUNNER_MEMORY', '24GiB', '24GiB'],
  ])('accepts %s=%s', (name, value, expected) => {
    expect(loadConfig(SampleConfig, { ...VALID, [name]: value })[name as keyof SampleConfig]).toBe(expected);
  });

  it('does not convert implicitly: a number needs @EnvInt', () => {
    class Strict {
      @IsInt()
      COUNT = 1;
    }
    expect(configError({ COUNT: '8' }, Strict).message).toMatch(/^invalid configuration: COUNT must be an integer number$/);
  });

  it('never prints a credential from a malformed URL', () => {
    const url = 'postgres://helix:Hunter2-is-secret@db:99999/helix';
    const e = configError({ ...VALID, DATABASE_URL: url });
    expect(e.message).toBe('invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL');
    expect(e.message).not.toContain('Hunter2');
  });

  it('drops the detail rather than print a value a custom message would show', () => {
    class Leaky {
      @IsBase64Key32({ message: '$property must be a key, got "$value"' })
      KEY!: string;
    }
    const e = configError({ KEY: 'hf_not_a_key_but_secret' }, Leaky);
    expect(e.message).toBe('invalid configuration: KEY is invalid');
  });

  it('never echoes an invalid value, whichever variable it is in', () => {
    const secretish = fc.string({ unit: fc.constantFrom(...'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ_-'), minLength: 12, maxLength: 40 });
    const name = fc.constantFrom('HELIX_NATS_URL', 'DATABASE_URL', 'HELIX_HTTP_PORT', 'HELIX_ENCRYPTION_KEY', 'LOG_LEVEL', 'HELIX_RUNNER_MEMORY');
    fc.assert(
      fc.property(name, secretish, (variable, value) => {
        const e = configError({ ...VALID, [variable]: value });
        expect(e.variables).toEqual([variable]);
        expect(e.message).not.toContain(value);
        expect(e.message).not.toMatch(/[\r\n]/);
      }),
    );
  });
});

describe('<NAME>_FILE: a variable read from a file (Kubernetes secret volumes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helix-config-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };

  it('reads the value from the file, without its trailing newline', () => {
    const config = loadConfig(SampleConfig, { DATABASE_URL_FILE: file('db', `${VALID.DATABASE_URL}\n`), HELIX_ENCRYPTION_KEY_FILE: file('key', `${KEY}\r\n`) });
    expect(config).toMatchObject(VALID);
  });

  it('refuses both forms at once, an unreadable file and an empty one, naming the variable and never the content', () => {
    const both = configError({ ...VALID, HELIX_ENCRYPTION_KEY_FILE: file('key2', KEY) });
    expect(both.message).toBe('invalid configuration: HELIX_ENCRYPTION_KEY and HELIX_ENCRYPTION_KEY_FILE are both set; set only one');
    const missing = configError({ DATABASE_URL: VALID.DATABASE_URL, HELIX_ENCRYPTION_KEY_FILE: join(dir, 'nope') });
    expect(missing.variables).toEqual(['HELIX_ENCRYPTION_KEY']);
    expect(missing.message).toMatch(/HELIX_ENCRYPTION_KEY_FILE names a file that cannot be read/);
    expect(configError({ DATABASE_URL: VALID.DATABASE_URL, HELIX_ENCRYPTION_KEY_FILE: file('empty', '\n') }).message).toMatch(/names an empty file/);
    const bad = configError({ DATABASE_URL: VALID.DATABASE_URL, HELIX_ENCRYPTION_KEY_FILE: file('bad', 'not-a-key-but-secret-looking') });
    expect(bad.message).not.toContain('not-a-key-but-secret-looking');
  });

  it('reads only the variables that may hold credentials (HELIX_*, DATABASE_URL, HF_TOKEN)', () => {
    expect(() => loadConfig(SampleConfig, { ...VALID, SOMETHING_FILE: join(dir, 'nope') })).not.toThrow();
  });
});

describe('the shared service configuration', () => {
  class GatewayLike extends DatabaseServiceConfig {
    @EnvInt()
    @IsPort()
    HELIX_HTTP_PORT = 8080;
  }
  class ModelsLike extends MicroserviceConfig {
    override HELIX_HEALTH_PORT = 8082;
  }
  const DB = { DATABASE_URL: VALID.DATABASE_URL };

  it('gives every service the same defaults, typed', () => {
    const config = loadConfig(ServiceConfig, {});
    expect(config).toMatchObject({ HELIX_NATS_URL: 'nats://127.0.0.1:4222', LOG_LEVEL: 'info' });
    expect(config.HELIX_NATS_USER).toBeUndefined();
    expect(config.HELIX_NATS_CREDS).toBeUndefined();
    expect(loadConfig(GatewayLike, DB).HELIX_HTTP_PORT).toBe(8080);
    expect(loadConfig(MicroserviceConfig, DB).HELIX_HEALTH_PORT).toBe(8081);
  });

  it('lets a subclass change a default and keeps the inherited validation and conversion', () => {
    expect(loadConfig(ModelsLike, DB).HELIX_HEALTH_PORT).toBe(8082);
    expect(loadConfig(ModelsLike, { ...DB, HELIX_HEALTH_PORT: '9100' }).HELIX_HEALTH_PORT).toBe(9100);
    expect(configError({ ...DB, HELIX_HEALTH_PORT: 'x' }, ModelsLike).message).toBe(
      'invalid configuration: HELIX_HEALTH_PORT must be an integer port from 0 to 65535',
    );
    expect(configError({ ...DB, LOG_LEVEL: 'loud' }, ModelsLike).variables).toEqual(['LOG_LEVEL']);
  });

  it('requires DATABASE_URL only where a database is used', () => {
    expect(configError({}, GatewayLike).message).toBe('invalid configuration: DATABASE_URL is required');
    expect(() => loadConfig(ServiceConfig, {})).not.toThrow();
  });

  it('reads the NATS credentials, and wants a password with a user', () => {
    const creds = join(mkdtempSync(join(tmpdir(), 'helix-config-')), 'helix.creds');
    writeFileSync(creds, 'not parsed here', { mode: 0o600 });
    const config = loadConfig(ServiceConfig, { HELIX_NATS_USER: 'helix', HELIX_NATS_PASSWORD: 'pw-not-printed', HELIX_NATS_CREDS: creds });
    expect(config).toMatchObject({ HELIX_NATS_USER: 'helix', HELIX_NATS_PASSWORD: 'pw-not-printed', HELIX_NATS_CREDS: creds });
    expect(configError({ HELIX_NATS_USER: 'helix' }, ServiceConfig).message).toBe('invalid configuration: HELIX_NATS_PASSWORD is required');
    expect(() => loadConfig(ServiceConfig, { HELIX_NATS_CREDS: creds, HELIX_NATS_TLS_CA: creds })).not.toThrow();
  });

  it('a credentials or CA file that cannot be read is a start-up error naming the variable', () => {
    expect(configError({ HELIX_NATS_CREDS: '/nonexistent/helix.creds' }, ServiceConfig).message).toBe(
      'invalid configuration: HELIX_NATS_CREDS must be the path of a readable file',
    );
    expect(configError({ HELIX_NATS_TLS_CA: tmpdir() }, ServiceConfig).message).toBe(
      'invalid configuration: HELIX_NATS_TLS_CA must be the path of a readable file',
    );
  });
});

describe('loadConfigOrExit', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one line to stderr and exits with 1 on a bad configuration', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw new Error(`exit ${code}`);
    }) as typeof process.exit);
    expect(() => loadConfigOrExit(SampleConfig, { DATABASE_URL: VALID.DATABASE_URL, HELIX_ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow('exit 1');
    expect(exit).toHaveBeenCalledWith(1);
    expect(write).toHaveBeenCalledTimes(1);
    expect(write.mock.calls[0][0]).toBe('invalid configuration: HELIX_ENCRYPTION_KEY must be 32 bytes encoded as base64\n');
  });

  it('returns the config when it is valid', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    expect(loadConfigOrExit(SampleConfig, VALID).HELIX_ENCRYPTION_KEY).toBe(KEY);
    expect(exit).not.toHaveBeenCalled();
  });

  it('rethrows errors that are not configuration errors', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    class Broken {
      constructor() {
        throw new RangeError('bug in the config class');
      }
    }
    expect(() => loadConfigOrExit(Broken, {})).toThrow(RangeError);
    expect(exit).not.toHaveBeenCalled();
  });
});

describe('HELIX_NATS_STREAM_REPLICAS (IsStreamReplicas)', () => {
  class WithReplicas {
    @EnvInt()
    @IsStreamReplicas()
    HELIX_NATS_STREAM_REPLICAS = 1;
  }

  it('defaults to 1 and accepts 1 to 5', () => {
    expect(loadConfig(WithReplicas, {}).HELIX_NATS_STREAM_REPLICAS).toBe(1);
    for (const n of [1, 2, 3, 4, 5]) expect(loadConfig(WithReplicas, { HELIX_NATS_STREAM_REPLICAS: String(n) }).HELIX_NATS_STREAM_REPLICAS).toBe(n);
  });

  it.each(['0', '6', '-1', '3.0', 'three', '1e1', ' ', '99999999999'])('rejects %j with one line naming the variable', (value) => {
    const e = configError({ HELIX_NATS_STREAM_REPLICAS: value }, WithReplicas);
    expect(e.message).toBe('invalid configuration: HELIX_NATS_STREAM_REPLICAS must be an integer from 1 to 5');
  });
});
