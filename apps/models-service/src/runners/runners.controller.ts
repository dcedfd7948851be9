import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Patterns, RUNNERS_HEARTBEAT, type ErrorBody, type RunnerHeartbeat, type RunnerRecord } from '@helix/contracts';
import { isDatabaseUnavailable } from '@helix/persistence';
import { isValidHeartbeat, RunnersService } from './runners.service';
import { SlotTracker } from '../slots/slot-tracker.service';
import { Reconciler } from '../scheduling/reconciler.service';

@Controller()
export class RunnersController {
  constructor(
    private readonly runners: RunnersService,
    private readonly tracker: SlotTracker,
    private readonly reconciler: Reconciler,
    @InjectPinoLogger('RunnersController') private readonly logger: PinoLogger,
  ) {}

  @EventPattern(RUNNERS_HEARTBEAT)
  async heartbeat(@Payload() hb: RunnerHeartbeat): Promise<void> {
    if (!isValidHeartbeat(hb)) {
      this.logger.warn('ignored a malformed runner heartbeat');
      return;
    }
    try {
      const { joined } = await this.runners.recordHeartbeat(hb);
      if (joined) this.logger.info({ runner_id: hb.runner_id, memory_total: hb.memory_total }, 'runner joined');
      // The heartbeat's slot list corrects any status message that was lost (or arrived while no replica ran).
      await this.tracker.applyHeartbeat(hb);
      if (joined) await this.reconciler.runnerJoined(hb.runner_id);
    } catch (err) {
      // The next heartbeat (5 s) carries the full state again.
      this.logger.warn({ runner_id: hb.runner_id, err: { message: (err as Error).message } }, 'could not record heartbeat');
    }
  }

  @MessagePattern(Patterns.runnersList)
  async list(): Promise<RunnerRecord[]> {
    try {
      return await this.runners.list();
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw new RpcException({ error: 'unavailable', message: 'The models database is unavailable.' } satisfies ErrorBody);
      throw err;
    }
  }
}
