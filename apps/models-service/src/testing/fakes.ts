// Test-only fakes for service-level specs (the repositories' SQL is covered by the e2e suites).
import { randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import type { PinoLogger } from 'nestjs-pino';
import type { DataSource, EntityManager } from 'typeorm';
import { reservesMemory, type SlotError, type SlotView } from '@helix/contracts';
import type { RunnerEntity } from '../runners/runner.entity';
import type { CommandOutcome, RunnerCommands } from '../slots/runner-commands';
import type { RunnerWithAllocations, SlotAllocation, SlotRepository } from '../slots/slot.repository';

/** The slots table in memory, with the same rules as SlotRepository's SQL (reservesMemory, deployment). */
export class InMemorySlots implements Partial<SlotRepository> {
  readonly rows = new Map<string, SlotView>();
  /** Model memory in bytes, for allocationsByRunner (the SQL joins models.models). */
  readonly memory = new Map<string, number>();
  /** The online runners, for beginWithOnlineRunners (the SQL reads models.runners). */
  online: RunnerEntity[] = [];

  add(slot: Partial<SlotView> & Pick<SlotView, 'model_id'>): SlotView {
    const now = new Date().toISOString();
    const row: SlotView = {
      id: randomUUID(),
      runner_id: null,
      state: 'scheduled',
      restarts: 0,
      endpoint: null,
      hf_token_source: null,
      hf_token_fingerprint: null,
      error: null,
      gpus: [],
      created: now,
      updated: now,
      ...slot,
    };
    this.rows.set(row.id, row);
    return row;
  }

  forModel(modelId: string): SlotView[] {
    return [...this.rows.values()].filter((s) => s.model_id === modelId);
  }

  async find(slotId: string): Promise<SlotView | null> {
    return this.rows.get(slotId) ?? null;
  }

  async lock(slotId: string): Promise<SlotView | null> {
    return this.find(slotId);
  }

  async listForRunnerReport(runnerId: string, ids: string[]): Promise<SlotView[]> {
    return [...this.rows.values()].filter((s) => s.runner_id === runnerId || ids.includes(s.id));
  }

  async allocationsByRunner(): Promise<Map<string, SlotAllocation[]>> {
    const byRunner = new Map<string, SlotAllocation[]>();
    for (const s of this.rows.values()) {
      if (!s.runner_id || !reservesMemory(s)) continue;
      const list = byRunner.get(s.runner_id) ?? [];
      list.push({ slotId: s.id, gpus: s.gpus.length ? s.gpus : [0], memory: this.memory.get(s.model_id) ?? 0 });
      byRunner.set(s.runner_id, list);
    }
    return byRunner;
  }

  /** The real one also opens the transaction and takes the lock (Postgres specs and e2e cover that). */
  async beginWithOnlineRunners(): Promise<RunnerWithAllocations[]> {
    const allocations = await this.allocationsByRunner();
    return this.online.map((r) => ({ id: r.id, gpus: r.gpus, memoryTotal: r.memoryTotal, allocations: allocations.get(r.id) ?? [] }));
  }

  async isDeployed(modelId: string, _tx: EntityManager, runnerId?: string): Promise<boolean> {
    return this.forModel(modelId).some(
      (s) =>
        (runnerId === undefined || s.runner_id === runnerId) &&
        (['scheduled', 'starting', 'running'].includes(s.state) || (s.state === 'failed' && s.runner_id !== null)),
    );
  }

  async insertScheduled(
    modelId: string,
    runnerId: string,
    gpus: readonly number[],
    _tx: EntityManager,
    replace: 'stopped-and-unplaced' | 'unplaced',
  ): Promise<SlotView> {
    for (const s of this.forModel(modelId)) if (s.runner_id === null || (replace === 'stopped-and-unplaced' && s.state === 'stopped')) this.rows.delete(s.id);
    return this.add({ model_id: modelId, runner_id: runnerId, gpus: [...gpus] });
  }

  async reassign(slotId: string, runnerId: string, gpus: readonly number[]): Promise<void> {
    this.update(slotId, { runner_id: runnerId, gpus: [...gpus] });
  }

  async markUnplaced(slotId: string, error: SlotError): Promise<void> {
    this.update(slotId, { runner_id: null, gpus: [], state: 'failed', endpoint: null, error });
  }

  async recordNoCapacity(modelId: string, error: SlotError): Promise<void> {
    for (const s of this.forModel(modelId)) if (s.state === 'stopped') this.rows.delete(s.id);
    const unplaced = this.forModel(modelId).filter((s) => s.runner_id === null);
    if (unplaced.length) for (const s of unplaced) this.update(s.id, { error });
    else this.add({ model_id: modelId, state: 'failed', error });
  }

  /** Like the SQL: only the runner's own, not stopped, slot changes (staleness is the SQL's job). */
  applyReport = vi.fn(async (runnerId: string, report: SlotView): Promise<boolean> => {
    const row = this.rows.get(report.id);
    if (!row || row.runner_id !== runnerId || row.state === 'stopped') return false;
    this.update(report.id, { state: report.state, restarts: report.restarts, endpoint: report.endpoint, error: report.error });
    return true;
  });

  markStopped = vi.fn(async (slotId: string, runnerId: string, error: SlotError): Promise<boolean> => {
    const row = this.rows.get(slotId);
    if (!row || row.runner_id !== runnerId || row.state === 'stopped') return false;
    this.update(slotId, { state: 'stopped', endpoint: null, error });
    return true;
  });

  private update(slotId: string, patch: Partial<SlotView>): void {
    const row = this.rows.get(slotId);
    if (row) this.rows.set(slotId, { ...row, ...patch, updated: new Date().toISOString() });
  }
}

/** Online runners (id → GPU memory in bytes: one GPU, or a list of GPUs), for InMemorySlots.online. */
export function fakeRunners(runners: Record<string, number | number[]>): RunnerEntity[] {
  return Object.entries(runners).map(([id, memory]) => {
    const sizes = Array.isArray(memory) ? memory : [memory];
    return { id, memoryTotal: sizes.reduce((a, b) => a + b, 0), gpus: sizes.map((m, index) => ({ index, memory: m })) } as RunnerEntity;
  });
}

/** Runner commands that answer per runner: accepted unless `refuse` names the runner. */
export function fakeCommands(refuse: Record<string, string> = {}) {
  const answer = async (runnerId: string): Promise<CommandOutcome> => (refuse[runnerId] ? { ok: false, reason: refuse[runnerId] } : { ok: true });
  return { create: vi.fn(answer), stop: vi.fn(answer) } satisfies Partial<RunnerCommands>;
}

/** A DataSource whose transactions run at once (BEGIN, the advisory lock and COMMIT are no-ops). */
export function fakeDataSource(): DataSource {
  const tx = { query: async () => [] } as Partial<EntityManager> as EntityManager;
  const queryRunner = { connect: async () => undefined, query: async () => [], release: async () => undefined, manager: tx };
  return {
    transaction: async <T>(work: (tx: EntityManager) => Promise<T>) => work(tx),
    createQueryRunner: () => queryRunner,
    manager: tx,
  } as unknown as DataSource;
}

export function fakeLogger() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() } satisfies Partial<PinoLogger>;
}
