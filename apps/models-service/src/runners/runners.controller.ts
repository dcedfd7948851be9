import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import {
  parseHeartbeat,
  Patterns,
  RUNNER_ID_PATTERN,
  runnerIdOfSubject,
  RUNNERS_HEARTBEAT_ALL,
  RUNNERS_PAGE_MAX,
  type RunnerRecord,
  type RunnerHeartbeat,
  type RunnersListRequest,
} from '@helix/contracts';
import { rpcError } from '@helix/rpc';
import { LatestPerKey } from '@helix/tasks';
import { ignoreMessage } from '../ignored-messages';
import { RunnersService } from './runners.service';
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

  @EventPattern(RUNNERS_HEARTBEAT_ALL)
  // Nest types extra handler parameters as unknown; @Ctx() is the NatsContext of the message.
  async heartbeat(@Payload() payload: unknown, @Ctx() ctx: unknown): Promise<void> {
    const subject = (ctx as NatsContext).getSubject();
    const parsed = parseHeartbeat(payload);
    if (!parsed.ok) return ignoreMessage(this.logger, 'heartbeat', 'invalid', { errors: parsed.errors });
    const { heartbeat: hb, ignoredSlots } = parsed.value;
    // The subject names the sender (NATS permissions): a heartbeat for another runner is forged.
    if (runnerIdOfSubject(subject) !== hb.runner_id) return ignoreMessage(this.logger, 'heartbeat', 'wrong_subject', { runner_id: hb.runner_id, subject });
    if (ignoredSlots.length) ignoreMessage(this.logger, 'heartbeat_slot', 'invalid', { runner_id: hb.runner_id, errors: ignoredSlots });
    return this.heartbeats.push(hb.runner_id, hb);
  }

  /**
   * A heartbeat carries the runner's whole state, so one that arrives while the runner's previous
   * one is being recorded only needs the newest kept: 100 runners sending change heartbeats during
   * a burst of rotations (up to 4 a second each) had queued Postgres work until the pool's 3 s
   * connection timeout failed thousands of them.
   */
  private readonly heartbeats = new LatestPerKey<string, RunnerHeartbeat>(
    async (hb) => {
      const { joined } = await this.runners.recordHeartbeat(hb);
      if (joined) this.logger.info({ runner_id: hb.runner_id, memory_total: hb.memory_total }, 'runner joined');
      // The heartbeat's slot list corrects any status message that was lost (or arrived while no replica ran).
      await this.tracker.applyHeartbeat(hb);
      if (joined) await this.reconciler.runnerJoined(hb.runner_id);
    },
    // The next heartbeat (5 s) carries the full state again.
    (err, hb) => this.logger.warn({ runner_id: hb.runner_id, err: { message: (err as Error).message } }, 'could not record heartbeat'),
  );

  /** One page in id order; a reply never carries more than RUNNERS_PAGE_MAX runners. */
  @MessagePattern(Patterns.runnersList)
  list(@Payload() request: RunnersListRequest | null): Promise<RunnerRecord[]> {
    const after = request?.after ?? null;
    const limit = request?.limit ?? RUNNERS_PAGE_MAX;
    if ((after !== null && (typeof after !== 'string' || !RUNNER_ID_PATTERN.test(after))) || !Number.isInteger(limit) || limit < 1 || limit > RUNNERS_PAGE_MAX)
      throw rpcError('bad_request', `The runners page request is malformed (after: a runner id; limit: 1 to ${RUNNERS_PAGE_MAX}).`);
    return this.runners.list({ after, limit });
  }
}
