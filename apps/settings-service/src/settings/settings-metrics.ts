import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Gauge } from 'prom-client';
import { SCOPES } from '@helix/contracts';

let source: SettingsMetrics | undefined;

/**
 * `helix_settings_version{scope}`, read from `settings.hf_tokens` at each scrape: for `global` the
 * current version of the system settings, for `org`/`user`/`model` the highest version of any
 * scope of that kind (0 when there is none). Every replica reports the same table.
 */
const version = new Gauge({
  name: 'helix_settings_version',
  help: 'current settings version per scope kind (global: the system settings; org/user/model: the highest of any scope of that kind)',
  labelNames: ['scope'] as const,
  async collect() {
    const versions = await source?.versions().catch(() => undefined);
    if (!versions) return; // database unavailable: keep the last values rather than fail the scrape
    for (const scope of SCOPES) version.set({ scope }, versions.get(scope) ?? 0);
  },
});

@Injectable()
export class SettingsMetrics {
  constructor(@InjectDataSource() private readonly db: DataSource) {
    source = this;
  }

  async versions(): Promise<Map<string, number>> {
    const rows: Array<{ scope: string; version: number }> = await this.db.query(
      'SELECT scope, max(version)::int AS version FROM settings.hf_tokens GROUP BY scope',
    );
    return new Map(rows.map((r) => [r.scope, Number(r.version)]));
  }
}
