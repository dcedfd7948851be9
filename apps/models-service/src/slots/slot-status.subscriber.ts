import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { QueueGroups, RUNNER_ID_PATTERN, RUNNER_SLOTS_STATUS_ALL, type SlotView } from '@helix/contracts';
import { decodeJson } from '@helix/nats';
import { NATS_CONNECTION } from '../config';
import { SlotTracker } from './slot-tracker.service';

/**
 * Follows `runner.*.slots.status` in the models-service queue group (one replica handles each
 * message). A message lost while no replica listens is corrected by the runner's next heartbeat.
 */
@Injectable()
export class SlotStatusSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private sub?: Subscription;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly tracker: SlotTracker,
    @InjectPinoLogger('SlotStatusSubscriber') private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.nc.subscribe(RUNNER_SLOTS_STATUS_ALL, {
      queue: QueueGroups.models,
      callback: (err, msg) => {
        if (err) return;
        const runnerId = msg.subject.split('.')[1];
        if (!RUNNER_ID_PATTERN.test(runnerId)) return;
        let view: SlotView;
        try {
          view = decodeJson<SlotView>(msg.data);
        } catch {
          this.logger.warn({ runner_id: runnerId }, 'ignored a slot status that is not JSON');
          return;
        }
        this.tracker.applyStatus(runnerId, view).catch((e: Error) => {
          this.logger.warn({ runner_id: runnerId, slot_id: view?.id, err: { message: e.message } }, 'could not record slot status; the next heartbeat repeats it');
        });
      },
    });
  }

  onApplicationShutdown(): void {
    this.sub?.unsubscribe();
  }
}
