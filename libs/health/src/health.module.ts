import {
  Controller,
  Get,
  Global,
  Header,
  HttpCode,
  HttpException,
  Injectable,
  Module,
  type DynamicModule,
  type InjectionToken,
  type Provider,
} from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';
import { Public } from '@helix/access';

/** One named readiness condition (NATS connected, Postgres answering, replay done…). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean> | boolean;
}

/** Each app registers its own checks here (from a provider that can inject its connections). */
@Injectable()
export class ReadinessRegistry {
  private readonly checks: ReadinessCheck[] = [];

  add(...checks: ReadinessCheck[]): void {
    this.checks.push(...checks);
  }

  async evaluate(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const results = await Promise.all(this.checks.map(async (c) => [c.name, await safe(c)] as const));
    return { ready: results.every(([, ok]) => ok), checks: Object.fromEntries(results) };
  }
}

/**
 * Probes and metrics are for Kubernetes and Prometheus: no API key. The gateway documents them
 * (apps/gateway/src/http/health-docs.controller.ts); @nestjs/swagger stays out of the other processes.
 */
@Public()
@Controller()
export class HealthController {
  constructor(private readonly registry: ReadinessRegistry) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(): Promise<{ status: 'ready'; checks: Record<string, boolean> }> {
    const { ready, checks } = await this.registry.evaluate();
    if (ready) return { status: 'ready', checks };
    const failing = Object.keys(checks).filter((name) => !checks[name]);
    throw new HttpException({ error: 'unavailable', message: `Not ready: ${failing.join(', ')}.`, checks }, 503);
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}

async function safe(check: ReadinessCheck): Promise<boolean> {
  try {
    return await check.check();
  } catch {
    return false;
  }
}

/**
 * How often the event-loop-delay histogram (nodejs_eventloop_lag_*) samples the loop, in ms. prom-client's
 * default of 10 ms wakes every process 100 times a second, which cost an idle runner 5.5 of its 6 ms of
 * CPU per second (100 runners: half a core); at 100 ms an idle runner uses about 1 ms/s, and every stall
 * of 100 ms or more is still seen.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

let defaultMetricsStarted = false;

/** /healthz, /readyz and /metrics for every HTTP process. */
@Global()
@Module({})
export class HealthModule {
  static forRoot(): DynamicModule {
    if (!defaultMetricsStarted) {
      collectDefaultMetrics({ eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
      defaultMetricsStarted = true;
    }
    return { module: HealthModule, controllers: [HealthController], providers: [ReadinessRegistry], exports: [ReadinessRegistry] };
  }
}

/** Registers an app's readiness checks, built from its own providers (connections, services). */
export function readinessChecks(inject: InjectionToken[], build: (...deps: any[]) => ReadinessCheck[]): Provider {
  return {
    provide: Symbol('READINESS_CHECKS'),
    inject: [ReadinessRegistry, ...inject],
    useFactory: (registry: ReadinessRegistry, ...deps: unknown[]) => registry.add(...build(...deps)),
  };
}
