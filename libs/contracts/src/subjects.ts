/** Every NATS subject and stream name used between Helix processes, in one place. */

export const SETTINGS_STREAM = 'SETTINGS';
export const SETTINGS_UPDATED_PREFIX = 'settings.updated';
export const SETTINGS_UPDATED_ALL = 'settings.updated.>';
/** NATS header of a settings.updated message: the settings-service's Ed25519 signature (base64) over subject and body. */
export const SETTINGS_SIGNATURE_HEADER = 'Helix-Signature';

/**
 * Runner → settings-service acknowledgements, on `settings.applied.<runner id>`: the subject names
 * the sender, so NATS permissions let a runner publish only its own acks (the body's runner_id must
 * match). Captured by a stream so no ack is lost while the settings-service is down.
 */
export const SETTINGS_APPLIED = 'settings.applied';
export const SETTINGS_APPLIED_ALL = 'settings.applied.*';
export const settingsAppliedSubject = (runnerId: string): string => `${SETTINGS_APPLIED}.${runnerId}`;
export const SETTINGS_ACKS_STREAM = 'SETTINGS_ACKS';
export const SETTINGS_ACKS_CONSUMER = 'settings-service-acks';

/** Heartbeats on `runners.heartbeat.<runner id>` (the subject names the sender, as for acks). */
export const RUNNERS_HEARTBEAT = 'runners.heartbeat';
export const RUNNERS_HEARTBEAT_ALL = 'runners.heartbeat.*';
export const runnerHeartbeatSubject = (runnerId: string): string => `${RUNNERS_HEARTBEAT}.${runnerId}`;
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A runner that missed this many heartbeats is offline. */
export const HEARTBEAT_MISSED_OFFLINE = 3;

export const runnerSlotsCreate = (runnerId: string): string => `runner.${runnerId}.slots.create`;
export const runnerSlotsStop = (runnerId: string): string => `runner.${runnerId}.slots.stop`;
export const runnerSlotsStatus = (runnerId: string): string => `runner.${runnerId}.slots.status`;
export const RUNNER_SLOTS_STATUS_ALL = 'runner.*.slots.status';
/**
 * Replies to a runner's commands: the models-service names the reply subject of each command under
 * the runner's own `runner.<id>.replies.` (nats.js `request` with `noMux`), so no NATS user needs a
 * response permission. NATS tracks every message delivered with a reply subject to a user with
 * one, and nats-server 2.9 scans that whole table on each delivery once it holds 4,096 entries: a
 * runner replaying 100,000 settings events (each delivered with its `$JS.ACK` reply) took 90 s
 * instead of 1 s.
 */
export const runnerCommandReplies = (runnerId: string): string => `runner.${runnerId}.replies.*`;
export const runnerCommandReply = (runnerId: string, nonce: string): string => `runner.${runnerId}.replies.${nonce}`;
export const RUNNER_COMMAND_REPLIES_ALL = 'runner.*.replies.*';
/** Commands for one runner (what its NATS credentials may receive). */
export const runnerSlotsCommands = (runnerId: string): string => `runner.${runnerId}.slots.*`;

/**
 * The runner id a per-runner subject names (`settings.applied.<id>`, `runners.heartbeat.<id>`,
 * `runner.<id>.slots.status`), or undefined when the subject is not one or the id is malformed.
 */
export function runnerIdOfSubject(subject: string): string | undefined {
  const parts = subject.split('.');
  const id =
    parts.length === 3 && (parts[0] + '.' + parts[1] === SETTINGS_APPLIED || parts[0] + '.' + parts[1] === RUNNERS_HEARTBEAT)
      ? parts[2]
      : parts.length === 4 && parts[0] === 'runner' && parts[2] === 'slots'
        ? parts[1]
        : undefined;
  return id !== undefined && RUNNER_ID_PATTERN.test(id) ? id : undefined;
}

/**
 * Reply inboxes of a runner's connection: under its own prefix, so its credentials can subscribe
 * to its replies and nobody else's.
 */
export const runnerInboxPrefix = (runnerId: string): string => `_INBOX.runner-${runnerId}`;

/**
 * Reply inboxes of the gateway's connections: the services answer its requests there, the only
 * reply subjects their credentials may publish to (no response permission: see runnerCommandReplies).
 */
export const GATEWAY_INBOX_PREFIX = '_INBOX.gateway';

/** Request/reply patterns between the gateway and the services (NestJS NATS transport, queue groups). */
export const Patterns = {
  /** Any scope ({scope, scope_id}; absent = global); the subject keeps its first name for compatibility. */
  settingsGet: 'svc.settings.system.get',
  settingsUpdate: 'svc.settings.system.update',
  settingsGetMany: 'svc.settings.get-many',
  settingsClearScope: 'svc.settings.clear-scope',
  settingsSyncStatus: 'svc.settings.sync.status',
  settingsModelAccess: 'svc.settings.model-access',
  runnersList: 'svc.models.runners.list',
  modelsCreate: 'svc.models.create',
  modelsList: 'svc.models.list',
  modelsGet: 'svc.models.get',
  modelsUpdate: 'svc.models.update',
  modelsDelete: 'svc.models.delete',
  modelsDetachOrg: 'svc.models.detach-org',
  modelsDetachOwner: 'svc.models.detach-owner',
} as const;

export const QueueGroups = {
  settings: 'settings-service',
  models: 'models-service',
} as const;

/** Runner ids become one NATS subject token, so they are restricted to these characters. */
export const RUNNER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Ids that may hold any character (model ids contain '/') are base64url-encoded into one token. */
export function encodeSubjectToken(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/**
 * A gateway revoked an API key or deleted a user: every gateway forgets who keys belong to (its
 * read cache). No body; the subject is the message.
 */
export const GATEWAY_AUTH_CHANGED = 'gateway.auth.changed';

/** Audit events from every service → the gateway (the audit log's owner). Captured by a stream so
 * no entry is lost while the gateway is down. */
export const AUDIT_RECORDED = 'audit.recorded';
export const AUDIT_STREAM = 'AUDIT';
export const AUDIT_CONSUMER = 'gateway-audit';
