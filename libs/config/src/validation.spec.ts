import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  EnvInt,
  IsBase64Key32,
  IsIn,
  IsInt,
  IsIntBetween,
  IsKeyList,
  IsLogLevel,
  IsMemorySize,
  IsNatsUrlList,
  IsOptional,
  IsPort,
  IsPostgresUrl,
  IsStreamReplicas,
  IsString,
  IsUrl,
  loadConfig,
  Matches,
  Transform,
  ValidateBy,
  ValidateIf,
} from './index';

const KEY = Buffer.alloc(32, 5).toString('base64');

function problem(cls: new () => object, env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(cls, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message.replace(/^invalid configuration: /, '');
    throw e;
  }
  throw new Error('expected a ConfigError');
}

/** A class with one variable V checked by `decorators` (applied bottom-up, as written above a property). */
function single(...decorators: PropertyDecorator[]): new () => { V?: unknown } {
  class Single {
    V?: unknown;
  }
  for (const decorate of [...decorators].reverse()) decorate(Single.prototype, 'V');
  return Single;
}

describe('each decorator accepts a good value and refuses a bad one with its message', () => {
  const ipv4Port = 'http://127.0.0.1:8999/hub';
  it.each<[string, PropertyDecorator[], string, unknown, string, string]>([
    ['IsString', [IsString()], 'text', 'text', '', 'V is required'],
    ['IsInt', [EnvInt(), IsInt()], '42', 42, '4.2', 'V must be an integer number'],
    ['IsIn', [IsIn(['a', 'b'])], 'b', 'b', 'c', 'V must be one of the following values: a, b'],
    ['Matches', [Matches(/^\d+-\d+$/)], '1-2', '1-2', '1_2', 'V must match /^\\d+-\\d+$/ regular expression'],
    ['IsUrl', [IsUrl({ protocols: ['http', 'https'] })], ipv4Port, ipv4Port, 'ftp://127.0.0.1/', 'V must be a URL address'],
    ['IsBase64Key32', [IsBase64Key32()], KEY, KEY, 'c2hvcnQ=', 'V must be 32 bytes encoded as base64'],
    [
      'IsKeyList',
      [IsKeyList()],
      `k2:${KEY},k1:${KEY}`,
      `k2:${KEY},k1:${KEY}`,
      `k2:${KEY},`,
      'V must be 32 bytes encoded as base64, or a list "<key id>:<base64 key>,…" (the first key seals)',
    ],
    [
      'IsNatsUrlList',
      [IsNatsUrlList()],
      'tls://n:4443',
      'tls://n:4443',
      'http://n:4222',
      'V must be a comma-separated list of nats:// or tls:// URLs (or host:port)',
    ],
    ['IsPostgresUrl', [IsPostgresUrl()], 'postgres://h/db', 'postgres://h/db', 'pg://h/db', 'V must be a postgres:// or postgresql:// URL'],
    ['IsPort', [EnvInt(), IsPort()], '8080', 8080, '70000', 'V must be an integer port from 0 to 65535'],
    ['IsIntBetween', [EnvInt(), IsIntBetween(2, 4)], '4', 4, '5', 'V must be an integer from 2 to 4'],
    ['IsStreamReplicas', [EnvInt(), IsStreamReplicas()], '3', 3, '0', 'V must be an integer from 1 to 5'],
    ['IsMemorySize', [IsMemorySize()], '24GiB', '24GiB', '24 apples', 'V must be a memory size such as 80GB, 24GiB or a number of bytes'],
    ['IsLogLevel', [IsLogLevel()], 'warn', 'warn', 'loud', 'V must be one of fatal, error, warn, info, debug, trace, silent'],
    ['ValidateBy', [ValidateBy('isEven', (v) => Number(v) % 2 === 0, '$property must be even')], '2', '2', '3', 'V must be even'],
  ])('%s', (_name, decorators, good, expected, bad, message) => {
    const cls = single(...decorators);
    expect(loadConfig(cls, { V: good }).V).toEqual(expected);
    expect(problem(cls, bad === '' ? {} : { V: bad })).toBe(message);
  });

  it('IsOptional: an unset variable skips the rules, a set one is checked', () => {
    const cls = single(IsOptional(), IsInt());
    expect(loadConfig(cls, {}).V).toBeUndefined();
    expect(problem(cls, { V: 'x' })).toBe('V must be an integer number');
  });

  it('ValidateIf: the rules apply only when the condition holds for the config', () => {
    class Pair {
      @IsOptional()
      @IsString()
      USER?: string;

      @ValidateIf((config: Pair) => config.USER !== undefined)
      @IsString()
      PASSWORD?: string;
    }
    expect(loadConfig(Pair, {}).PASSWORD).toBeUndefined();
    expect(problem(Pair, { USER: 'u' })).toBe('PASSWORD is required');
    expect(loadConfig(Pair, { USER: 'u', PASSWORD: 'p' })).toMatchObject({ USER: 'u', PASSWORD: 'p' });
  });

  it('Transform: converts the text of a set variable, never a default', () => {
    class Upper {
      @Transform(({ value, key, obj }) => `${key}=${String(value).toUpperCase()} (${Object.keys(obj).join()})`)
      @IsString()
      V = 'default';
    }
    expect(loadConfig(Upper, {}).V).toBe('default');
    expect(loadConfig(Upper, { V: 'abc', OTHER: 'x' }).V).toBe('V=ABC (V,OTHER)');
  });

  it('IsUrl: the forms the Hub endpoint takes, and what is refused (a protocol is required, a TLD is not)', () => {
    const cls = single(IsUrl({ protocols: ['http', 'https'] }));
    for (const url of ['https://huggingface.co', 'http://hf-hub-sim:8080', 'http://[::1]:9/x?y#z', 'https://user:pw@hub.example/api', 'HTTPS://Hub.Example']) {
      expect(loadConfig(cls, { V: url }).V).toBe(url);
    }
    for (const url of [
      'huggingface.co',
      '//hub',
      'http://',
      'http://a b',
      'http://hub:0',
      'http://hub:65536',
      'http://hub_1',
      'http://-hub',
      'http://8080',
      'http:hub',
    ]) {
      expect(problem(cls, { V: url }), url).toBe('V must be a URL address');
    }
  });
});

describe('messages', () => {
  it('a custom message replaces the default; $property, $constraint1 and $target are filled in', () => {
    const cls = single(Matches(/^a$/, { message: '$property of $target must match $constraint1' }));
    expect(problem(cls, { V: 'b' })).toBe('V of Single must match /^a$/');
    expect(problem(single(IsIn(['x'], { message: (args) => `${args.property} is not one of ${String(args.constraints[0])}` })), { V: 'y' })).toBe(
      'V is not one of x',
    );
  });

  it('only the first failing rule of a property is reported, the bottom decorator first', () => {
    const cls = single(Matches(/^\d+$/, { message: 'top' }), IsIn(['a', '1'], { message: 'bottom' }));
    expect(problem(cls, { V: 'x' })).toBe('bottom');
    expect(problem(cls, { V: 'a' })).toBe('top');
    expect(loadConfig(cls, { V: '1' }).V).toBe('1');
  });
});

describe('classes and inheritance', () => {
  class Base {
    @IsString()
    A!: string;

    @IsOptional()
    @IsString()
    B?: string;
  }
  class Child extends Base {
    @IsString()
    C!: string;

    /** Not decorated: dropped from the instance. */
    D = 'dropped';
  }

  it('reports the class own variables first, then inherited ones, in declaration order', () => {
    const e = (() => {
      try {
        loadConfig(Child, {});
      } catch (error) {
        return error as ConfigError;
      }
    })();
    expect(e?.variables).toEqual(['C', 'A']);
  });

  it('keeps only decorated variables on the instance', () => {
    const config = loadConfig(Child, { A: 'a', C: 'c', D: 'd', PATH: '/bin' });
    expect(config).toBeInstanceOf(Child);
    expect(Object.keys(config).sort()).toEqual(['A', 'C']);
  });

  it('a subclass rule on an inherited property replaces the inherited rule, the inherited condition stays', () => {
    class Narrow extends Base {
      @IsIn(['x'])
      override B?: string = undefined;
    }
    expect(loadConfig(Narrow, { A: 'a' }).B).toBeUndefined();
    expect(problem(Narrow, { A: 'a', B: 'y' })).toBe('B must be one of the following values: x');
    expect(loadConfig(Base, { A: 'a', B: 'y' }).B).toBe('y');
  });
});
