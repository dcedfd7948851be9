import { ApiOkResponse, ApiOperation, ApiProduces, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthController } from '@helix/health';

class HealthzDto {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

const CHECKS = {
  type: 'object',
  additionalProperties: { type: 'boolean' },
  example: { nats: true, postgres: true },
  description: 'Each readiness condition of the process and whether it holds.',
} as const;

class ReadyDto {
  @ApiProperty({ enum: ['ready'] })
  status!: 'ready';
  @ApiProperty(CHECKS)
  checks!: Record<string, boolean>;
}

class NotReadyDto {
  @ApiProperty({ enum: ['unavailable'] })
  error!: 'unavailable';
  @ApiProperty({ example: 'Not ready: nats.' })
  message!: string;
  @ApiProperty(CHECKS)
  checks!: Record<string, boolean>;
}

/** Applies method decorators to one of HealthController's routes, as `@Decorator` on it would. */
function onRoute(method: keyof HealthController & string, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(HealthController.prototype, method)!;
  for (const decorate of decorators) decorate(HealthController.prototype, method, descriptor);
}

/**
 * The probes and /metrics in the API document (`security: []`: no API key). HealthController lives
 * in @helix/health, which every process loads; its OpenAPI decorators are applied here, in the
 * gateway only, so @nestjs/swagger (about 26 MiB of RSS) stays out of the runner and the services.
 * Called before the document is built; once (the decorators add to what is there).
 */
let documented = false;
export function documentHealthRoutes(): void {
  if (documented) return;
  documented = true;
  ApiTags('health')(HealthController);
  onRoute(
    'healthz',
    ApiOperation({ operationId: 'getLiveness', summary: 'Liveness probe', description: 'Answers while the process runs.', security: [] }),
    ApiOkResponse({ type: HealthzDto, description: 'The process is alive.' }),
  );
  onRoute(
    'readyz',
    ApiOperation({
      operationId: 'getReadiness',
      summary: 'Readiness probe',
      description: 'Ready when every condition holds (for the gateway: NATS connected, Postgres answering).',
      security: [],
    }),
    ApiOkResponse({ type: ReadyDto, description: 'Every readiness condition holds.' }),
    ApiResponse({ status: 503, type: NotReadyDto, description: 'A condition does not hold; `checks` says which.' }),
  );
  onRoute(
    'metrics',
    ApiOperation({ operationId: 'getMetrics', summary: 'Prometheus metrics', description: 'The text exposition format.', security: [] }),
    ApiProduces('text/plain'),
    ApiOkResponse({ description: 'The metrics of this process.', schema: { type: 'string', example: '# HELP process_cpu_seconds_total …' } }),
  );
}
