import { HfTokenEntity } from './hf-token.entity';
import { OutboxEntity } from './outbox.entity';
import { RunnerAckEntity } from './runner-ack.entity';

export { HfTokenEntity, OutboxEntity, RunnerAckEntity };
export type { OutboxEvent } from './outbox.entity';
export const SETTINGS_ENTITIES = [HfTokenEntity, OutboxEntity, RunnerAckEntity];
