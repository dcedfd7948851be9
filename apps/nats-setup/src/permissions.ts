import {
  AUDIT_RECORDED,
  AUDIT_STREAM,
  GATEWAY_AUTH_CHANGED,
  GATEWAY_INBOX_PREFIX,
  RUNNER_SLOTS_STATUS_ALL,
  RUNNERS_HEARTBEAT_ALL,
  runnerCommandReplies,
  RUNNER_COMMAND_REPLIES_ALL,
  runnerHeartbeatSubject,
  runnerInboxPrefix,
  runnerSlotsCreate,
  runnerSlotsStatus,
  runnerSlotsStop,
  SETTINGS_ACKS_STREAM,
  SETTINGS_STREAM,
  SETTINGS_UPDATED_ALL,
  settingsAppliedSubject,
} from '@helix/contracts';

/** What one NATS user may publish and subscribe to (docs/reference/security.md). */
export interface RolePermissions {
  publish: string[];
  subscribe: string[];
}

/** The roles `helix-nats-setup` issues credentials for. */
export type ServiceRole = 'gateway' | 'settings-service' | 'models-service';

const JS_INFO = '$JS.API.INFO';
/** Reading a stream: its info, ephemeral/ordered consumers on it, fetching from them. */
const readStream = (stream: string): string[] => [
  `$JS.API.STREAM.INFO.${stream}`,
  `$JS.API.CONSUMER.CREATE.${stream}`,
  `$JS.API.CONSUMER.CREATE.${stream}.>`,
  `$JS.API.CONSUMER.INFO.${stream}.>`,
  `$JS.API.CONSUMER.DELETE.${stream}.>`,
  `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
];
/** Owning a stream: create/update/info/purge/delete it, its messages and its consumers. */
const ownStream = (stream: string): string[] => [
  `$JS.API.STREAM.*.${stream}`,
  `$JS.API.STREAM.MSG.*.${stream}`,
  `$JS.API.DIRECT.GET.${stream}`,
  `$JS.API.DIRECT.GET.${stream}.>`,
  `$JS.API.CONSUMER.*.${stream}`,
  `$JS.API.CONSUMER.*.${stream}.>`,
  `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
  `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
  `$JS.ACK.${stream}.>`,
];
/**
 * The services answer the gateway's requests on its inbox prefix. No user has NATS's response
 * permission (see runnerCommandReplies in @helix/contracts): only the gateway sends requests a
 * service answers, and the models-service names its commands' reply subjects itself.
 */
const gatewayReplies = `${GATEWAY_INBOX_PREFIX}.>`;
/** Request subjects a service answers: everything under its `svc.<service>.` prefix. */
const servicePrefix = (service: 'settings' | 'models'): string => `svc.${service}.>`;

/**
 * The permission matrix of docs/reference/security.md, derived from the subjects in @helix/contracts so a renamed
 * subject cannot drift from its permission:
 * - only the gateway publishes service requests (`svc.>`);
 * - only the settings-service publishes `settings.updated.>` and manages the SETTINGS streams;
 * - the models-service publishes runner commands and reads heartbeats and slot statuses;
 * - a runner reads settings, publishes its own acks, heartbeats and slot status, and receives its
 *   own commands only (see runnerPermissions).
 */
export function servicePermissions(role: ServiceRole): RolePermissions {
  switch (role) {
    case 'gateway':
      return {
        publish: [`svc.>`, GATEWAY_AUTH_CHANGED, JS_INFO, ...ownStream(AUDIT_STREAM), AUDIT_RECORDED],
        // Its read caches are emptied by key changes of the other replicas and by settings events.
        subscribe: [GATEWAY_AUTH_CHANGED, SETTINGS_UPDATED_ALL, gatewayReplies],
      };
    case 'settings-service':
      return {
        publish: [
          gatewayReplies,
          SETTINGS_UPDATED_ALL,
          AUDIT_RECORDED,
          JS_INFO,
          `$JS.API.STREAM.INFO.${AUDIT_STREAM}`,
          ...ownStream(SETTINGS_STREAM),
          ...ownStream(SETTINGS_ACKS_STREAM),
        ],
        // It watches its own stream's subject to notice (and repair) a message it did not write.
        subscribe: [servicePrefix('settings'), SETTINGS_UPDATED_ALL, '_INBOX.>'],
      };
    case 'models-service':
      return {
        publish: [gatewayReplies, runnerSlotsCreate('*'), runnerSlotsStop('*'), AUDIT_RECORDED, JS_INFO, `$JS.API.STREAM.INFO.${AUDIT_STREAM}`],
        // Runners answer its commands on their own reply subjects.
        subscribe: [servicePrefix('models'), RUNNERS_HEARTBEAT_ALL, RUNNER_SLOTS_STATUS_ALL, RUNNER_COMMAND_REPLIES_ALL, '_INBOX.>'],
      };
  }
}

/** A runner's credentials name it: its own subjects only, and replies under its own inbox prefix. */
export function runnerPermissions(runnerId: string): RolePermissions {
  return {
    publish: [
      settingsAppliedSubject(runnerId),
      runnerHeartbeatSubject(runnerId),
      runnerSlotsStatus(runnerId),
      runnerCommandReplies(runnerId),
      JS_INFO,
      `$JS.API.STREAM.INFO.${SETTINGS_ACKS_STREAM}`,
      ...readStream(SETTINGS_STREAM),
    ],
    subscribe: [runnerSlotsCreate(runnerId), runnerSlotsStop(runnerId), `${runnerInboxPrefix(runnerId)}.>`],
  };
}
