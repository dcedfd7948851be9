import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { NatsConnection } from '@nats-io/nats-core';
import { AuditPublisher, InjectNats } from '@helix/nats';

/** The models-service's audit events (model.create/update/delete), published after each commit. */
@Injectable()
export class ModelAudit extends AuditPublisher implements OnApplicationShutdown {
  constructor(@InjectNats() nc: NatsConnection, @InjectPinoLogger('ModelAudit') logger: PinoLogger) {
    super(nc, logger);
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }
}
