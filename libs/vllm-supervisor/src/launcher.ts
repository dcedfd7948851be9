import { spawnSync } from 'node:child_process';
import { resolveExecutable } from './executable';
import { VllmProcess, type Launch, type VllmUser, type SupervisorLogger } from './vllm-process';

/**
 * The production launcher. Each vLLM process is started through util-linux `setpriv --pdeathsig
 * KILL`, so the kernel kills it when the runner dies, even by SIGKILL (Node cannot set a parent-death
 * signal itself). Without a usable setpriv the processes start directly and this is logged once;
 * a restarted runner still kills what its previous life left (see ChildRecords). With `identity`
 * (HELIX_VLLM_UID/GID) vLLM runs as that user, without the runner's supplementary groups.
 */
export function vllmLauncher(logger: SupervisorLogger, path = process.env.PATH, identity: VllmUser | null = null): Launch {
  const wrapper = parentDeathWrapper(path);
  if (!wrapper) {
    logger.warn({}, 'setpriv with --pdeathsig is not available; vllm processes outlive a runner that is killed with SIGKILL');
  }
  return (spec) => VllmProcess.start(spec, wrapper ?? [], identity);
}

/** `setpriv --pdeathsig KILL --` when setpriv is on `path` and supports it (util-linux ≥ 2.33), else null. */
export function parentDeathWrapper(path: string | undefined): string[] | null {
  let setpriv: string;
  try {
    setpriv = resolveExecutable('setpriv', path);
  } catch {
    return null;
  }
  const wrapper = [setpriv, '--pdeathsig', 'KILL', '--'];
  // Probe once by running setpriv through itself: an old setpriv rejects the option.
  const probe = spawnSync(wrapper[0], [...wrapper.slice(1), setpriv, '--version'], { stdio: 'ignore', timeout: 5_000 });
  return probe.status === 0 ? wrapper : null;
}
