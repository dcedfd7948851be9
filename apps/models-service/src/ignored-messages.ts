import { Counter } from 'prom-client';
import type { PinoLogger } from 'nestjs-pino';
import type { FieldError } from '@helix/contracts';

export type RunnerMessage = 'heartbeat' | 'heartbeat_slot' | 'slot_status';
/** `wrong_subject`: the message names another runner than its subject (forged; NATS permissions tie subjects to senders). */
export type IgnoredReason = 'not_json' | 'invalid' | 'bad_subject' | 'wrong_subject';

const ignored = new Counter({
  name: 'helix_models_messages_ignored_total',
  help: 'runner messages (or heartbeat slot entries) skipped because they do not parse',
  labelNames: ['message', 'reason'] as const,
});

/**
 * Counts a skipped message and logs it once, naming the fields that failed but never the payload
 * (a malformed message may carry anything, a token included).
 */
export function ignoreMessage(
  logger: PinoLogger,
  message: RunnerMessage,
  reason: IgnoredReason,
  context: { runner_id?: string; subject?: string; errors?: FieldError[] } = {},
): void {
  ignored.inc({ message, reason });
  logger.warn(
    { message, reason, runner_id: context.runner_id, subject: context.subject, fields: context.errors?.map((e) => e.field) },
    `ignored a runner message that does not parse (${message})`,
  );
}
