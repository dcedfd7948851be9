import type {
  ApiKeyView,
  AuditEntryView,
  AuditPageView,
  CreatedApiKeyView,
  CreatedUserView,
  MembershipView,
  ModelAccessView,
  OrgView,
  RunnerView,
  Scope,
  SettingsView,
  SlotView,
  SystemSettingsView,
  TokenChainLevel,
  TokenChainView,
  UserView,
} from '@helix/contracts';
import { formatBytes, text, yesNo } from './format';
import { renderFields, renderTable } from './table';

/** A model as GET /api/v1/models/<id> returns it (docs/reference/rest.md); fields the CLI does not know are ignored. */
export interface ModelView {
  id: string;
  name?: string;
  type?: string;
  runtime?: string;
  memory?: number;
  context_length?: number | null;
  description?: string;
  enabled?: boolean;
  auto_pull?: boolean;
  prewarm?: boolean;
  runtime_args?: string[] | { args?: string[] };
  org_id?: string | null;
  owner_id?: string | null;
  created?: string;
  updated?: string;
  slots?: SlotView[];
}

/** How many runners have applied the current settings version. */
export interface SyncSummary {
  total: number;
  inSync: number;
  offline: number;
}

export function syncSummary(runners: RunnerView[]): SyncSummary {
  return {
    total: runners.length,
    inSync: runners.filter((r) => r.in_sync === true).length,
    offline: runners.filter((r) => r.state === 'offline').length,
  };
}

export function renderSyncSummary(sync: SyncSummary | 'unknown'): string {
  if (sync === 'unknown') return 'unknown';
  if (sync.total === 0) return '0 (no runners registered)';
  return `${sync.inSync}/${sync.total}${sync.offline ? ` (${sync.offline} offline)` : ''}`;
}

/**
 * `settings get`: one plain line when some online runner has not applied the current settings yet
 * (every scope, docs/reference/events.md), else ''.
 */
export function outOfSyncLine(runners: RunnerView[]): string {
  const online = runners.filter((r) => r.state === 'online');
  const behind = online.filter((r) => r.in_sync !== true);
  if (!behind.length) return '';
  const names = behind.map((r) => r.id).join(', ');
  return `Out of sync: ${behind.length} of ${online.length} online runner${online.length === 1 ? '' : 's'} ${behind.length === 1 ? 'has' : 'have'} not applied the current settings yet (${names}); wait for them with: helix runner wait --in-sync`;
}

/** Where a level without a token leaves the models that use it (docs/reference/rest.md). */
export const FALLBACK: Record<Scope, string> = {
  global: 'runners fall back to their own HF_TOKEN',
  org: "the org's models fall back to the global token",
  user: "the user's models fall back to their org's or the global token",
  model: "the model falls back to its owner's, its org's or the global token",
};

/** "org acme", "user 3f1c…", "model Qwen/Qwen2.5-VL-7B-Instruct", "global". */
export function scopeLabel(scope: Scope | undefined, scopeId: string | null | undefined): string {
  if (!scope || scope === 'global') return 'global';
  return `${scope} ${text(scopeId)}`;
}

/**
 * `helix system|org|user|model settings get|set`: never the token, only whether one is set and its
 * fingerprint. A scoped view (docs/reference/rest.md) also says whose token it is; the global view is unchanged.
 */
export function renderSettings(settings: SettingsView | SystemSettingsView, sync?: SyncSummary | 'unknown'): string {
  const set = settings.huggingface_token_set === true;
  const scope: Scope = settings.scope ?? 'global';
  const fields: Array<[string, string]> = [];
  if (scope !== 'global') fields.push(['Scope', scope], ['Scope ID', text(settings.scope_id)]);
  fields.push(
    ['Hugging Face token', set ? 'configured' : `not configured (${FALLBACK[scope] ?? FALLBACK.global})`],
    ['Source', text(settings.huggingface_token_source)],
    ['Fingerprint', text(settings.huggingface_token_fingerprint)],
    ...(set ? [['Hugging Face check', renderHubCheck(settings)] as [string, string]] : []),
    ['Version', text(settings.version)],
    ['Updated', text(settings.updated)],
  );
  if (sync !== undefined) fields.push(['Runners in sync', renderSyncSummary(sync)]);
  return renderFields(fields);
}

/** docs/reference/hub.md: valid (owner, role), invalid, or unverified; absent from an older server's view: not shown as anything. */
function renderHubCheck(settings: SettingsView): string {
  const status = settings.huggingface_token_status;
  if (status === 'valid') return `valid (account ${text(settings.huggingface_token_owner)}, role ${text(settings.huggingface_token_role)})`;
  if (status === 'invalid') return 'invalid: Hugging Face rejected this token; set a new one';
  if (status === 'unverified') return 'unverified (the Hub was not asked or did not answer)';
  return '-';
}

const ACCESS_ADVICE: Record<ModelAccessView['access'], string> = {
  granted: 'the model can be pulled with this token',
  denied: 'Hugging Face refuses this token for the repository: request access on its page, or set a token that has it',
  not_found: 'Hugging Face has no such repository (or hides it from this token): check the model id',
  unknown: 'the Hub could not be asked; try again, or check HELIX_HF_ENDPOINT on the settings-service',
};

/** `helix model access <id>` (docs/reference/hub.md). */
export function renderModelAccess(view: ModelAccessView): string {
  return renderFields([
    ['Model', text(view.model_id)],
    ['Token used', view.scope ? `${view.scope} (${text(view.fingerprint)})` : 'none (asked without a token)'],
    ['Access', `${text(view.access)}: ${ACCESS_ADVICE[view.access] ?? ''}`],
    ['Hub status', text(view.hub_status)],
  ]);
}

const isEffective = (level: TokenChainLevel, effective: TokenChainView['effective']): boolean =>
  effective !== null && level.set === true && level.scope === effective.scope && (level.scope_id ?? null) === (effective.scope_id ?? null);

/**
 * `helix model token <id>`: the resolution chain of docs/reference/rest.md, first level first, the effective
 * one marked, then one line saying which level a start of the model uses. Fingerprints only.
 */
export function renderTokenChain(view: TokenChainView): string {
  const chain = Array.isArray(view.chain) ? view.chain : [];
  const effective = view.effective ?? null;
  const table = renderTable<TokenChainLevel>(
    [
      { header: 'level', value: (l) => text(l.scope) },
      { header: 'id', value: (l) => text(l.scope_id) },
      { header: 'set', value: (l) => yesNo(l.set) },
      { header: 'fingerprint', value: (l) => text(l.fingerprint) },
      { header: 'version', value: (l) => text(l.version), right: true },
      { header: 'effective', value: (l) => (isEffective(l, effective) ? '<- effective' : '') },
    ],
    chain,
  );
  const verdict =
    effective === null
      ? 'Effective: none of these levels is set; runners use their own HF_TOKEN, or no token if they have none.'
      : `Effective: the ${scopeLabel(effective.scope, effective.scope_id)} token (${text(effective.fingerprint)}) is used when this model starts.`;
  return [`Token resolution for model ${text(view.model_id)} (first level set wins):`, '', table, '', verdict].join('\n');
}

function slotStates(slots: SlotView[] | undefined): string {
  if (!slots?.length) return '0';
  const counts = new Map<string, number>();
  for (const s of slots) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  return `${slots.length} (${[...counts].map(([state, n]) => `${n} ${state}`).join(', ')})`;
}

/** Each GPU as `<index>:<used>/<total>` (a server of an older release reports none: `-`). */
function gpuUsage(r: RunnerView): string {
  if (!Array.isArray(r.gpus) || r.gpus.length === 0) return '-';
  return r.gpus.map((g) => `${text(g.index)}:${formatBytes(g.memory_allocated)}/${formatBytes(g.memory_total)}`).join(' ');
}

/** `helix runner list`. */
export function renderRunners(runners: RunnerView[], currentVersion?: number, options: { wide?: boolean } = {}): string {
  const lines: string[] = [];
  if (currentVersion !== undefined) lines.push(`Current settings version: ${currentVersion}`, '');
  if (!runners.length) {
    lines.push('No runners registered.');
    return lines.join('\n');
  }
  lines.push(
    renderTable<RunnerView>(
      [
        { header: 'id', value: (r) => text(r.id) },
        { header: 'state', value: (r) => text(r.state) },
        { header: 'memory (used/total)', value: (r) => `${formatBytes(r.memory_allocated)}/${formatBytes(r.memory_total)}` },
        { header: 'gpus (used/total)', value: gpuUsage },
        { header: 'slots', value: (r) => slotStates(r.slots) },
        { header: 'settings version', value: (r) => text(r.settings_version), right: true },
        { header: 'in sync', value: (r) => yesNo(r.in_sync) },
        { header: 'scopes', value: (r) => text(r.settings_applied), right: true },
        { header: 'hf token', value: (r) => (r.hf_token_provided === true ? 'provided' : r.hf_token_provided === false ? 'none' : '-') },
        { header: 'last seen', value: (r) => text(r.last_seen) },
        ...(options.wide ? [{ header: 'models', value: (r: RunnerView) => text([...new Set((r.slots ?? []).map((s) => s.model_id))].join(',')) }] : []),
      ],
      runners,
    ),
  );
  return lines.join('\n');
}

function runtimeArgs(model: ModelView): string[] {
  const args = model.runtime_args;
  if (Array.isArray(args)) return args;
  if (args && Array.isArray(args.args)) return args.args;
  return [];
}

/** `helix model list` (`wide`: also description, auto pull, org, owner and the update time). */
export function renderModels(models: ModelView[], options: { wide?: boolean } = {}): string {
  if (!models.length) return 'No models.';
  return renderTable<ModelView>(
    [
      { header: 'id', value: (m) => text(m.id) },
      { header: 'name', value: (m) => text(m.name) },
      { header: 'type', value: (m) => text(m.type) },
      { header: 'runtime', value: (m) => text(m.runtime) },
      { header: 'memory', value: (m) => formatBytes(m.memory), right: true },
      { header: 'context', value: (m) => text(m.context_length), right: true },
      { header: 'enabled', value: (m) => yesNo(m.enabled) },
      { header: 'prewarm', value: (m) => yesNo(m.prewarm) },
      { header: 'slots', value: (m) => slotStates(m.slots) },
      ...(options.wide
        ? [
            { header: 'auto pull', value: (m: ModelView) => yesNo(m.auto_pull) },
            { header: 'org', value: (m: ModelView) => text(m.org_id) },
            { header: 'owner', value: (m: ModelView) => text(m.owner_id) },
            { header: 'updated', value: (m: ModelView) => text(m.updated) },
            { header: 'description', value: (m: ModelView) => text(m.description) },
          ]
        : []),
    ],
    models,
  );
}

function slotError(slot: SlotView): string {
  if (!slot.error) return '-';
  return `${slot.error.code}: ${slot.error.message}`;
}

/** The slots of a model: where each vLLM process runs, its state, error and which token it got. */
export function renderSlots(slots: SlotView[] | undefined): string {
  if (!slots?.length) return 'Slots: none';
  return [
    'Slots:',
    renderTable<SlotView>(
      [
        { header: 'slot', value: (s) => text(s.id) },
        { header: 'runner', value: (s) => text(s.runner_id) },
        { header: 'gpus', value: (s) => (Array.isArray(s.gpus) && s.gpus.length ? s.gpus.map((g) => text(g)).join(',') : '-') },
        { header: 'state', value: (s) => text(s.state) },
        { header: 'restarts', value: (s) => text(s.restarts), right: true },
        { header: 'token source', value: (s) => text(s.hf_token_source) },
        { header: 'token fingerprint', value: (s) => text(s.hf_token_fingerprint) },
        { header: 'endpoint', value: (s) => text(s.endpoint) },
        { header: 'error', value: slotError },
      ],
      slots,
    ),
  ].join('\n');
}

/** `helix model get` / `create`. */
export function renderModel(model: ModelView): string {
  const args = runtimeArgs(model);
  return [
    renderFields([
      ['ID', text(model.id)],
      ['Name', text(model.name)],
      ['Type', text(model.type)],
      ['Runtime', text(model.runtime)],
      ['Memory', formatBytes(model.memory)],
      ['Context length', text(model.context_length)],
      ['Description', text(model.description)],
      ['Enabled', yesNo(model.enabled)],
      ['Auto pull', yesNo(model.auto_pull)],
      ['Prewarm', yesNo(model.prewarm)],
      ['Runtime args', args.length ? JSON.stringify(args) : '-'],
      ['Org', text(model.org_id)],
      ['Owner', text(model.owner_id)],
      ['Created', text(model.created)],
      ['Updated', text(model.updated)],
    ]),
    '',
    renderSlots(model.slots),
  ].join('\n');
}

/** `helix user list` (admin). */
export function renderUsers(users: UserView[]): string {
  if (!users.length) return 'No users.';
  return renderTable<UserView>(
    [
      { header: 'id', value: (u) => text(u.id) },
      { header: 'name', value: (u) => text(u.name) },
      { header: 'admin', value: (u) => yesNo(u.admin) },
      { header: 'created', value: (u) => text(u.created) },
    ],
    users,
  );
}

/** `helix user create`: the only time the new API key is ever shown. */
export function renderCreatedUser(user: CreatedUserView): string {
  return [
    `Created user ${user.name} (id ${user.id}, admin: ${yesNo(user.admin)}).`,
    `API key: ${user.api_key}`,
    'This key is shown only once and stored only as a hash: save it now.',
  ].join('\n');
}

/** `helix user delete`: what went with the user (docs/reference/rest.md: its token is cleared). */
export function renderDeletedUser(user: UserView | undefined, id: string): string {
  const who = user?.name ? `${user.name} (id ${user.id ?? id})` : id;
  return `Deleted user ${who}: its API keys no longer work, its Hugging Face token was cleared, its memberships were removed and its models no longer have an owner.`;
}

/** `helix user key list`: prefixes and times, never a key (the API has none to send). */
export function renderApiKeys(keys: ApiKeyView[], userId?: string): string {
  if (!keys.length) return userId === undefined ? 'You have no API keys.' : `User ${userId} has no API keys.`;
  return renderTable<ApiKeyView>(
    [
      { header: 'id', value: (k) => text(k.id) },
      { header: 'prefix', value: (k) => (k.prefix === null ? '(unknown until next use)' : text(k.prefix)) },
      { header: 'created', value: (k) => text(k.created) },
      { header: 'state', value: (k) => (k.revoked ? `revoked ${k.revoked}` : 'active') },
      { header: 'bootstrap', value: (k) => (k.bootstrap === true ? 'HELIX_ADMIN_API_KEY' : '-') },
    ],
    keys,
  );
}

/** `helix user key create`: the only time the new key is ever shown. */
export function renderCreatedApiKey(key: CreatedApiKeyView, userId?: string): string {
  return [
    `Created a new API key for ${userId === undefined ? 'you' : `user ${userId}`} (id ${text(key.id)}, prefix ${text(key.prefix)}).`,
    `API key: ${key.api_key}`,
    'This key is shown only once and stored only as a hash: save it now.',
  ].join('\n');
}

/** `helix user key revoke`. */
export function renderRevokedApiKey(key: ApiKeyView | undefined, keyId: string): string {
  const what = key?.prefix ? `${key.id ?? keyId} (prefix ${key.prefix})` : (key?.id ?? keyId);
  return `Revoked API key ${what}${key?.revoked ? ` at ${key.revoked}` : ''}: requests with it are refused from now on.`;
}

/** One short line of what an entry's details say (fingerprints, names, fields; the API never sends a token). */
export function auditSummary(entry: AuditEntryView): string {
  const d = entry.details ?? {};
  const str = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  if (entry.action === 'token.set' || entry.action === 'token.clear') return `v${str(d.version)} ${str(d.old_fingerprint)} -> ${str(d.new_fingerprint)}`;
  if (entry.action.startsWith('model.')) return Array.isArray(d.fields) && d.fields.length ? `fields: ${d.fields.join(', ')}` : '-';
  if (entry.action === 'user.create') return `${str(d.name)}${d.admin === true ? ' (admin)' : ''}`;
  if (entry.action === 'key.create' || entry.action === 'key.revoke')
    return `key ${str(d.key_id)} (${str(d.prefix)})${d.bootstrap === true ? ' HELIX_ADMIN_API_KEY' : ''}`;
  if (entry.action === 'access.denied') return `${str(d.method)} ${str(d.route)}`;
  return JSON.stringify(d);
}

/** `helix audit list`. */
export function renderAudit(page: AuditPageView): string {
  if (!page.items?.length) return 'No audit entries.';
  const table = renderTable<AuditEntryView>(
    [
      { header: 'at', value: (e) => text(e.at) },
      { header: 'actor', value: (e) => text(e.actor_name ?? e.actor_id ?? '(system)') },
      { header: 'action', value: (e) => text(e.action) },
      { header: 'target', value: (e) => text(e.target) },
      { header: 'details', value: auditSummary },
    ],
    page.items,
  );
  return page.next ? `${table}\nMore entries are older than these (use --json for the "next" cursor).` : table;
}

/** `helix org list`. */
export function renderOrgs(orgs: OrgView[]): string {
  if (!orgs.length) return 'No orgs.';
  return renderTable<OrgView>(
    [
      { header: 'id', value: (o) => text(o.id) },
      { header: 'name', value: (o) => text(o.name) },
      { header: 'created', value: (o) => text(o.created) },
    ],
    orgs,
  );
}

/** `helix org member list <org>`. */
export function renderMembers(orgId: string, members: MembershipView[]): string {
  if (!members.length) return `Org ${orgId} has no members.`;
  return renderTable<MembershipView>(
    [
      { header: 'user id', value: (m) => text(m.user_id) },
      { header: 'role', value: (m) => text(m.role) },
      { header: 'since', value: (m) => text(m.created) },
    ],
    members,
  );
}
