import { readFileSync } from 'node:fs';
import { CliError, EXIT_USAGE, usageError } from './errors';
import { parseJson, parseRuntimeArgs } from './json-input';

/** The options of `helix model create`, as commander gives them (all optional). */
export interface ModelFlags {
  file?: string;
  name?: string;
  type?: string;
  runtime?: string;
  memory?: string;
  context?: number;
  description?: string;
  enabled?: boolean;
  disabled?: boolean;
  autoPull?: boolean;
  prewarm?: boolean;
  runtimeArgs?: string;
  org?: string;
  owner?: string;
}

/** The body of POST /api/v1/models (docs/reference/rest.md). Unknown keys from a file are passed through for the API to judge. */
export type ModelBody = Record<string, unknown> & { id?: string };

/** `--context 32768`: a positive integer. */
export function parseContext(raw: string): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) <= 0 || !Number.isSafeInteger(Number(raw))) {
    throw usageError(`--context must be a positive integer number of tokens, got "${raw}"`);
  }
  return Number(raw);
}

/** `--memory 39GB` goes to the API as written (it parses units); plain digits are bytes. */
export function memoryValue(raw: string): string | number {
  const trimmed = raw.trim();
  return /^\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed)) ? Number(trimmed) : trimmed;
}

/** Reads and parses `--file` (`-` is stdin): it must hold one JSON object, the seed's model JSON. */
export function readModelFile(path: string, readFile: (path: string) => string = (p) => readFileSync(p === '-' ? 0 : p, 'utf8')): ModelBody {
  const label = path === '-' ? 'stdin' : path;
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'read failed');
    throw new CliError(`cannot read --file ${label}: ${reason}`);
  }
  const value = parseJson(text.replace(/^\uFEFF/, ''), `--file ${label}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`--file ${label} must contain one JSON object (the model), e.g. {"id":"Qwen/Qwen2.5-VL-7B-Instruct","name":"Qwen 2.5 VL 7B",…}`);
  }
  return value as ModelBody;
}

/**
 * The model to create: the file's values (if any), overridden by the positional id and every flag
 * that was given. Without --file, the id and --name are required.
 */
export function buildModelBody(id: string | undefined, flags: ModelFlags, file?: ModelBody): ModelBody {
  if (flags.enabled && flags.disabled) throw usageError('--enabled and --disabled cannot be used together');
  const body: ModelBody = { ...(file ?? {}) };
  if (id !== undefined) body.id = id;
  applyFlags(body, flags);

  if (typeof body.id !== 'string' || !body.id.trim()) {
    throw file
      ? new CliError('the model has no "id": add it to the --file JSON or give it as helix model create <id> --file …')
      : usageError('missing model id: helix model create <id> --name … (or --file model.json)');
  }
  if (!file && flags.name === undefined) throw usageError('--name is required (unless the model comes from --file)');
  return body;
}

/**
 * The body of `helix model update` (PUT /api/v1/models/<id>: absent fields keep their values): the
 * file's fields, then every flag given. The id is the path's; a file's id must equal it (the API
 * refuses a different one). Nothing to change is a usage error.
 */
export function buildModelPatch(id: string | undefined, flags: ModelFlags, file?: ModelBody): { id: string; body: ModelBody } {
  if (flags.enabled && flags.disabled) throw usageError('--enabled and --disabled cannot be used together');
  const modelId = id ?? (typeof file?.id === 'string' ? file.id : undefined);
  if (modelId === undefined || !modelId.trim()) {
    throw file ? new CliError('the model has no "id": give it as helix model update <id> --file …') : usageError('missing model id: helix model update <id> …');
  }
  const body: ModelBody = { ...(file ?? {}) };
  applyFlags(body, flags);
  if (Object.keys(body).filter((k) => k !== 'id').length === 0) {
    throw usageError('nothing to change: give the fields to change as flags (e.g. --memory 40GB, --disabled) or in --file');
  }
  return { id: modelId, body };
}

/** Every model flag that was given, written over `body` (create and update share the mapping). */
function applyFlags(body: ModelBody, flags: ModelFlags): void {
  if (flags.name !== undefined) body.name = flags.name;
  if (flags.type !== undefined) body.type = flags.type;
  if (flags.runtime !== undefined) body.runtime = flags.runtime;
  if (flags.memory !== undefined) body.memory = memoryValue(flags.memory);
  if (flags.context !== undefined) body.context_length = flags.context;
  if (flags.description !== undefined) body.description = flags.description;
  if (flags.enabled) body.enabled = true;
  if (flags.disabled) body.enabled = false;
  if (flags.autoPull !== undefined) body.auto_pull = flags.autoPull;
  if (flags.prewarm !== undefined) body.prewarm = flags.prewarm;
  if (flags.runtimeArgs !== undefined) body.runtime_args = parseRuntimeArgs(flags.runtimeArgs, EXIT_USAGE);
  if (flags.org !== undefined) body.org_id = flags.org;
  if (flags.owner !== undefined) body.owner_id = flags.owner;
}
