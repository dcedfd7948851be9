// The decorators a config class uses and the registry they write to. They replaced the gateway's
// HTTP-body validation and transformation libraries here (docs/decisions.md, runner memory): those
// pull in about 300 modules for a dozen environment variables. Semantics and default messages are
// the ones loadConfig had with them (unknown variables dropped, the first failed rule of a
// property reported, no implicit conversion), so configuration errors read as before.

/** What a rule's message function receives; in a message string, $property, $value, $target and $constraint1… are replaced. */
export interface ValidationArguments {
  /** The variable's name. */
  property: string;
  value: unknown;
  /** The config instance being validated. */
  object: object;
  /** The class's name. */
  targetName: string;
  constraints: unknown[];
}

export interface ValidationOptions {
  /** Replaces the default message ("$property must be …"). */
  message?: string | ((args: ValidationArguments) => string);
}

type Condition = (object: object, value: unknown) => boolean;

type Metadata =
  | { kind: 'condition'; property: string; test: Condition }
  | {
      kind: 'rule';
      property: string;
      name: string;
      validate: (value: unknown) => boolean;
      constraints: unknown[];
      message: string | ((args: ValidationArguments) => string);
    }
  | { kind: 'transform'; property: string; transform: (params: TransformParams) => unknown };

export interface TransformParams {
  /** The variable's text (or what an earlier transform made of it). */
  value: unknown;
  key: string;
  /** Every variable loadConfig read, by name. */
  obj: Readonly<Record<string, string>>;
}

/** Metadata by the class that declared it, in the order the decorators ran (per property: bottom decorator first). */
const registry = new Map<Function, Metadata[]>();

function register(target: object, property: string | symbol, metadata: (property: string) => Metadata): void {
  if (typeof property !== 'string') throw new TypeError('config decorators apply to string-named properties');
  const cls = target.constructor;
  const list = registry.get(cls) ?? [];
  list.push(metadata(property));
  registry.set(cls, list);
}

function isAncestor(ancestor: Function, cls: Function): boolean {
  return cls.prototype instanceof ancestor;
}

export interface PropertyValidation {
  conditions: Condition[];
  rules: Array<Extract<Metadata, { kind: 'rule' }>>;
}

/**
 * The conditions and rules of each validated property of `cls`, in validation order: the class's
 * own properties first, then inherited ones. An inherited condition (rule) is dropped where the class
 * declares a condition (rule) of its own on the same property.
 */
export function validationMetadata(cls: Function): Map<string, PropertyValidation> {
  const own = (registry.get(cls) ?? []).filter((m) => m.kind !== 'transform');
  const inherited: Metadata[] = [];
  for (const [declaring, list] of registry) if (isAncestor(declaring, cls)) inherited.push(...list.filter((m) => m.kind !== 'transform'));
  const uniqueInherited = inherited.filter((i) => !own.some((o) => o.property === i.property && o.kind === i.kind));
  const grouped = new Map<string, PropertyValidation>();
  for (const m of [...own, ...uniqueInherited]) {
    const entry = grouped.get(m.property) ?? { conditions: [], rules: [] };
    if (m.kind === 'condition') entry.conditions.push(m.test);
    else if (m.kind === 'rule') entry.rules.push(m);
    grouped.set(m.property, entry);
  }
  return grouped;
}

/** The transforms of one property of `cls`: the farthest ancestor's first, each class's top decorator first. */
export function transformsOf(cls: Function, property: string): Array<(params: TransformParams) => unknown> {
  const pick = (c: Function) => (registry.get(c) ?? []).flatMap((m) => (m.kind === 'transform' && m.property === property ? [m.transform] : [])).reverse();
  const ancestors: Function[] = [];
  for (let base = Object.getPrototypeOf(cls) as Function; typeof base?.prototype !== 'undefined'; base = Object.getPrototypeOf(base) as Function)
    ancestors.push(base);
  return [...ancestors.reverse().flatMap(pick), ...pick(cls)];
}

/** Shows a constraint in a message: a list joined by ", ", anything else as text (a RegExp as /…/). */
function constraintToString(constraint: unknown): string {
  if (Array.isArray(constraint)) return constraint.join(', ');
  if (typeof constraint === 'symbol') return `${constraint.description}`;
  return `${constraint as string}`;
}

/** The message of a failed rule, its special tokens replaced. */
export function ruleMessage(rule: Extract<Metadata, { kind: 'rule' }>, object: object, value: unknown): string | undefined {
  const args: ValidationArguments = { property: rule.property, value, object, targetName: object.constructor.name, constraints: rule.constraints };
  let message = typeof rule.message === 'function' ? rule.message(args) : rule.message;
  if (!message) return message;
  rule.constraints.forEach((constraint, index) => {
    message = message.replace(new RegExp(`\\$constraint${index + 1}`, 'g'), constraintToString(constraint));
  });
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') message = message.replace(/\$value/g, String(value));
  return message.replace(/\$property/g, rule.property).replace(/\$target/g, args.targetName);
}

// ---------------------------------------------------------------------------------------------
// Decorators

/**
 * A rule: `validate` must accept the value. `defaultMessage` is used unless options.message is set
 * (both may use $property, $value and $constraint1…; ours never use $value, values may be secrets).
 */
export function ValidateBy(
  name: string,
  validate: (value: unknown) => boolean,
  defaultMessage: string,
  options?: ValidationOptions,
  constraints: unknown[] = [],
): PropertyDecorator {
  return (target, property) =>
    register(target, property, (p) => ({ kind: 'rule', property: p, name, validate, constraints, message: options?.message || defaultMessage }));
}

/** Skips the property's rules when the variable is not set (the default initialiser, if any, is not checked either). */
export function IsOptional(): PropertyDecorator {
  return (target, property) =>
    register(target, property, (p) => ({
      kind: 'condition',
      property: p,
      test: (object) => (object as Record<string, unknown>)[p] !== null && (object as Record<string, unknown>)[p] !== undefined,
    }));
}

/** Checks the property's rules only when `condition` holds for the config being built (e.g. a password only with a user). */
export function ValidateIf<T extends object>(condition: (object: T, value: unknown) => boolean): PropertyDecorator {
  return (target, property) => register(target, property, (p) => ({ kind: 'condition', property: p, test: condition as Condition }));
}

/** A string. */
export function IsString(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy('isString', (value) => typeof value === 'string' || value instanceof String, '$property must be a string', options);
}

/** A whole number (text needs @EnvInt first: there is no implicit conversion). */
export function IsInt(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy('isInt', (value) => typeof value === 'number' && Number.isInteger(value), '$property must be an integer number', options);
}

/** One of `values` (compared with ===). */
export function IsIn(values: readonly unknown[], options?: ValidationOptions): PropertyDecorator {
  return ValidateBy('isIn', (value) => values.some((v) => v === value), '$property must be one of the following values: $constraint1', options, [values]);
}

/** A string that `pattern` matches. */
export function Matches(pattern: RegExp, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    'matches',
    (value) => typeof value === 'string' && value.match(pattern) !== null,
    '$property must match $constraint1 regular expression',
    options,
    [pattern],
  );
}

/**
 * An absolute URL `<protocol>://host…` with one of `protocols` (without the colon; default http and
 * https) that the WHATWG URL parser (`new URL`) accepts, whose host as written is a host name
 * (labels of letters, digits and inner "-", not ending in an all-digit label), an IPv4 or a
 * bracketed IPv6 address, with a port from 1 to 65535 if any, no white space, "<" or ">", at most
 * 2,084 characters: what validator.js's isURL accepted with `require_protocol: true,
 * require_tld: false` (the options config classes used), narrower only in refusing the
 * `http:host` form without "//" and a path that the URL parser would not accept.
 */
export function IsUrl(urlOptions: { protocols?: readonly string[] } = {}, options?: ValidationOptions): PropertyDecorator {
  const protocols = (urlOptions.protocols ?? ['http', 'https']).map((p) => p.toLowerCase());
  return ValidateBy('isUrl', (value) => isUrl(value, protocols), '$property must be a URL address', options, [urlOptions]);
}

function isUrl(value: unknown, protocols: string[]): boolean {
  if (typeof value !== 'string' || value.length > 2084 || /[\s<>]/.test(value) || !URL.canParse(value)) return false;
  const parts = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(value);
  if (!parts || !protocols.includes(parts[1].toLowerCase())) return false;
  const authority = parts[2];
  const at = authority.indexOf('@');
  if (at !== -1) {
    const credentials = authority.slice(0, at).split(':');
    if (at === 0 || credentials.length > 2 || credentials.every((c) => c === '')) return false;
  }
  const hostPort = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d*))?$/.exec(authority.slice(at + 1));
  if (!hostPort) return false;
  const [, host, port] = hostPort;
  if (port !== undefined && port !== '' && !(Number(port) >= 1 && Number(port) <= 65535)) return false;
  if (host.startsWith('[')) return port !== ''; // the URL parser checked the IPv6 address
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.split('.').every((n) => Number(n) <= 255 && !/^0\d/.test(n));
  const labels = host.split('.');
  return (
    !/^\d+$/.test(labels[labels.length - 1]) &&
    labels.every(
      (label) =>
        label.length <= 63 && /^[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]*[a-z0-9\u00a1-\uffff])?$/i.test(label) && !/[\uff01-\uff5e]/.test(label),
    )
  );
}

/** Converts the variable's text before validation (only variables that are set; a default is never transformed). */
export function Transform(transform: (params: TransformParams) => unknown): PropertyDecorator {
  return (target, property) => register(target, property, (p) => ({ kind: 'transform', property: p, transform }));
}
