import { Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { nuid } from '@nats-io/nats-core';
import {
  isErrorBody,
  runnerCommandReply,
  runnerSlotsCreate,
  runnerSlotsStop,
  type SlotCommandReply,
  type SlotCreateCommand,
  type SlotStopCommand,
} from '@helix/contracts';
import { decodeJson, encodeJson, InjectNats } from '@helix/nats';

export const COMMAND_TIMEOUT_MS = 3_000;

export type CommandOutcome = { ok: true } | { ok: false; reason: string };

/** Request/reply to one runner (`runner.<id>.slots.create|stop`); never throws. */
@Injectable()
export class RunnerCommands {
  constructor(@InjectNats() private readonly nc: NatsConnection) {}

  create(runnerId: string, command: SlotCreateCommand): Promise<CommandOutcome> {
    return this.send(runnerId, runnerSlotsCreate(runnerId), command);
  }

  stop(runnerId: string, command: SlotStopCommand): Promise<CommandOutcome> {
    return this.send(runnerId, runnerSlotsStop(runnerId), command);
  }

  private async send(runnerId: string, subject: string, payload: unknown): Promise<CommandOutcome> {
    try {
      // The reply comes on the runner's own reply subject (runnerCommandReplies): its credentials need no response permission.
      const options = { timeout: COMMAND_TIMEOUT_MS, noMux: true, reply: runnerCommandReply(runnerId, nuid.next()) };
      const reply = decodeJson<SlotCommandReply>((await this.nc.request(subject, encodeJson(payload), options)).data);
      if (isErrorBody(reply)) return { ok: false, reason: `runner ${runnerId} refused: ${reply.message}` };
      if ((reply as { accepted?: unknown })?.accepted === true) return { ok: true };
      return { ok: false, reason: `runner ${runnerId} sent an unexpected reply` };
    } catch (err) {
      const message = String((err as Error)?.message ?? err);
      if (/no responders|503/i.test(message)) return { ok: false, reason: `runner ${runnerId} is not listening for commands` };
      if (/timeout/i.test(message)) return { ok: false, reason: `runner ${runnerId} did not answer within ${COMMAND_TIMEOUT_MS} ms` };
      return { ok: false, reason: `could not reach runner ${runnerId}: ${message}` };
    }
  }
}
