import { readFileSync } from 'node:fs';
import { ruleMessage, transformsOf, validationMetadata } from './validation';

/** Configuration could not be loaded; `message` is one line that names variables, never values. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** The variables that are missing or invalid, in declaration order. */
    readonly variables: string[],
    problems: string[],
  ) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

/**
 * Builds a validated config object from environment variables, once at start-up. Property names
 * of `cls` are the variable names; defaults are property initialisers (`HELIX_HTTP_PORT = 8080`). Every property needs at
 * least one validation decorator of this lib (e.g. @IsOptional() @IsString()): undecorated ones are
 * dropped, which is what keeps unrelated variables out. Each property is checked against its rules
 * until the first that fails (none when an @IsOptional variable is unset or a @ValidateIf condition
 * is false); one error per property, the class's own properties first, then inherited ones.
 */
export function loadConfig<T extends object>(cls: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const plain: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(env)) {
    // `FOO=` is how compose files and shells pass "not set"; treat it so, rather than as a value
    // that fails validation or silently overrides a default.
    if (value !== undefined && value !== '') plain[name] = value;
  }
  const fileErrors = readFileVariables(env, plain);
  if (fileErrors.length > 0)
    throw new ConfigError(
      fileErrors.map((e) => e.name),
      fileErrors.map((e) => e.problem),
    );
  // There is no implicit conversion, so "1e3" or "0x50" never sneak through as numbers: every
  // conversion is an explicit @Transform (EnvInt).
  const config = new cls();
  const target = config as Record<string, unknown>;
  const properties = validationMetadata(cls);
  for (const [name, text] of Object.entries(plain)) {
    if (!properties.has(name)) continue;
    target[name] = transformsOf(cls, name).reduce<unknown>((value, transform) => transform({ value, key: name, obj: plain }), text);
  }
  // Only declared variables stay on the instance (an undecorated property too is dropped).
  for (const name of Object.keys(target)) if (!properties.has(name)) delete target[name];
  const errors: ValidationError[] = [];
  for (const [name, { conditions, rules }] of properties) {
    const value = target[name];
    if (!conditions.map((condition) => condition(config, value)).every(Boolean)) continue;
    const failed = rules.find((rule) => !rule.validate(value));
    if (failed) errors.push({ property: name, value, message: ruleMessage(failed, config, value) });
  }
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => e.property),
      errors.map((e) => describe(e, plain[e.property])),
    );
  }
  return config;
}

/** Variables that may come from a file (`<NAME>_FILE`): ours, and the two whose values are credentials. */
const FILE_VARIABLE = /^(HELIX_[A-Z0-9_]+|DATABASE_URL|HF_TOKEN)_FILE$/;

/**
 * `<NAME>_FILE=/path` sets `<NAME>` to the file's content, trailing white space removed (Kubernetes
 * secret volumes, Docker secrets). Setting both forms is an error, as is a file that cannot be read;
 * messages name the variable, never the content.
 */
function readFileVariables(env: NodeJS.ProcessEnv, plain: Record<string, string>): Array<{ name: string; problem: string }> {
  const errors: Array<{ name: string; problem: string }> = [];
  for (const [fileVar, path] of Object.entries(env)) {
    if (!FILE_VARIABLE.test(fileVar) || path === undefined || path === '') continue;
    const name = fileVar.slice(0, -'_FILE'.length);
    if (plain[name] !== undefined) {
      errors.push({ name, problem: `${name} and ${fileVar} are both set; set only one` });
      continue;
    }
    try {
      const content = readFileSync(path, 'utf8').replace(/\s+$/, '');
      if (content !== '') plain[name] = content;
      else errors.push({ name, problem: `${fileVar} names an empty file` });
    } catch {
      errors.push({ name, problem: `${fileVar} names a file that cannot be read` });
    }
  }
  return errors;
}

/** loadConfig for a process entry point: a bad configuration prints one line and exits with 1. */
export function loadConfigOrExit<T extends object>(cls: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  try {
    return loadConfig(cls, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(error.message + '\n');
    return process.exit(1);
  }
}

interface ValidationError {
  property: string;
  /** After transforms; undefined when the variable is not set and has no default. */
  value: unknown;
  /** The first failed rule's message. */
  message: string | undefined;
}

function describe(error: ValidationError, raw: string | undefined): string {
  const name = error.property;
  if (error.value === undefined) return `${name} is required`;
  const message = error.message;
  if (!message) return `${name} is invalid`;
  // Our decorators never put the value in a message, but a class may use a custom message with
  // $value; if the value shows up, give up the detail rather than print a possible secret.
  // (Values under 4 characters are not secrets and would match ordinary words.)
  if (raw !== undefined && raw.length >= 4 && message.includes(raw)) return `${name} is invalid`;
  return message.replace(/\s*[\r\n]+\s*/g, ' ');
}
