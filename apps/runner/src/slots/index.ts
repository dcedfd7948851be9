import type { Provider } from '@nestjs/common';
import { ChildRecords, runnerRuntimeDir, VllmSupervisor, vllmLauncher } from '@helix/vllm-supervisor';
import { TokenStore } from '@helix/token-store';
import { createLogger } from '@helix/logging';
import { RUNNER_SETTINGS, TOKEN_STORE, type RunnerSettings } from '../config';
import { SLOTS_SOURCE } from '../heartbeat/heartbeat.service';
import { SlotsService, VLLM_SUPERVISOR } from './slots.service';

/** SIGTERM → SIGKILL grace per vLLM process; the runner must be down within 10 s (docs/architecture.md). */
const STOP_GRACE_MS = 5_000;

export const slotProviders: Provider[] = [
  {
    provide: VLLM_SUPERVISOR,
    inject: [RUNNER_SETTINGS, TOKEN_STORE],
    useFactory: (settings: RunnerSettings, store: TokenStore) => {
      const logger = createLogger('runner', settings.logLevel).child({ context: 'VllmSupervisor' });
      // vLLM processes of a previous life of this runner (killed before it could stop them) still
      // hold the tokens of that time: they go before anything new starts.
      const children = ChildRecords.open(runnerRuntimeDir(settings.runnerId), logger);
      children.killLeftovers();
      return new VllmSupervisor({
        vllmBin: settings.vllmBin,
        host: settings.vllmHost,
        advertiseHost: settings.advertiseHost,
        portRange: settings.portRange,
        startTimeoutMs: settings.startTimeoutMs,
        backoff: { initialMs: settings.backoffInitialMs, maxRestarts: settings.maxRestarts },
        stopGraceMs: STOP_GRACE_MS,
        logger,
        // Every token the runner holds is scrubbed from vLLM's output, whichever one a slot uses.
        knownTokens: () => store.knownTokens(),
        launch: children.track(vllmLauncher(logger, process.env.PATH, settings.vllmIdentity)),
      });
    },
  },
  SlotsService,
  { provide: SLOTS_SOURCE, useExisting: SlotsService },
];
