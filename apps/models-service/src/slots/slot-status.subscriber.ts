import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { parseSlotReport, QueueGroups, RUNNER_ID_PATTERN, RUNNER_SLOTS_STATUS_ALL } from '@helix/contracts';
import { decodeJson, InjectNats } from '@helix/nats';
import { ignoreMessage } from '../ignored-messages';
import { SlotTracker } from './slot-tracker.service';

/**
 * Follows `runner.*.slots.status` in the models-service queue group (one replica handles each
 * message). A message lost while no replica listens is corrected by the runner's next heartbeat.
 */
@Injectable()
export class SlotStatusSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private sub?: Subscription;

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    private readonly tracker: SlotTracker,
    @InjectPinoLogger('SlotStatusSubscriber') private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.nc.subscribe(RUNNER_SLOTS_STATUS_ALL, {
      queue: QueueGroups.models,
      callback: (err, msg) => {
        if (!err) this.receive(msg);
      },
    });
  }

  onApplicationShutdown(): void {
    this.sub?.unsubscribe();
  }

  private receive(msg: Msg): void {
    const runnerId = msg.subject.split('.')[1];
    if (!RUNNER_ID_PATTERN.test(runnerId)) return ignoreMessage(this.logger, 'slot_status', 'bad_subject');
    let payload: unknown;
    try {
      payload = decodeJson(msg.data);
    } catch {
      return ignoreMessage(this.logger, 'slot_status', 'not_json', { runner_id: runnerId });
    }
    const report = parseSlotReport(payload);
    if (!report.ok) return ignoreMessage(this.logger, 'slot_status', 'invalid', { runner_id: runnerId, errors: report.errors });
    this.tracker.applyStatus(runnerId, report.value).catch((e: Error) => {
      this.logger.warn(
        { runner_id: runnerId, slot_id: report.value.id, err: { message: e.message } },
        'could not record slot status; the next heartbeat repeats it',
      );
    });
  }
}
