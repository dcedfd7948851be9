export { buildVllmArgs, flagName, hasFlag, stripOwnedFlags } from './args';
export type { VllmArgsInput } from './args';
export { buildVllmEnv, isAllowedEnvName } from './env';
export { PortAllocator, NoFreePortError, isPortFree } from './ports';
export { classifyLine } from './output';
export {
  VllmSupervisor,
  backoffDelayMs,
  DEFAULT_BACKOFF_INITIAL_MS,
  DEFAULT_BACKOFF_MAX_MS,
} from './supervisor';
export type {
  BackoffOptions,
  ResolvedToken,
  SlotStatus,
  StartSpec,
  SupervisedState,
  SupervisorLogger,
  VllmSupervisorOptions,
} from './supervisor';
