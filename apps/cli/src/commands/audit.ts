import type { Command } from 'commander';
import type { AuditPageView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { emit } from '../emit';
import { renderAudit } from '../views';

const AUDIT_LIST_HELP = `
Examples:
  helix audit list                                   the newest 50 entries
  helix audit list --target global --action token.set --limit 10
  helix audit list --target model:Qwen/Qwen2.5-VL-7B-Instruct --json

Actions: token.set, token.clear, user.create, user.delete, key.create, key.revoke, org.create,
org.delete, org.member.set, org.member.remove, model.create, model.update, model.delete,
access.denied (a refused call to an admin route). Targets: global, user:<id>, model:<id>,
route:<METHOD> <pattern>. Entries show fingerprints, never a token.`;

/** `helix audit list [--target …] [--action …] [--limit N]` (docs/reference/rest.md). */
export function registerAudit(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('the audit log (admin)');
  audit
    .command('list')
    .alias('ls')
    .description('audit entries, newest first')
    .option('--target <target>', 'only this target, e.g. global or model:<id>')
    .option('--action <action>', 'only this action, e.g. token.set')
    .option('--limit <n>', 'at most this many entries (1-200, default 50)')
    .addHelpText('after', AUDIT_LIST_HELP)
    .action(async (options: { target?: string; action?: string; limit?: string }, command: Command) => {
      const ctx = contextFor(command, io);
      const query = new URLSearchParams();
      if (options.target !== undefined) query.set('target', options.target);
      if (options.action !== undefined) query.set('action', options.action);
      if (options.limit !== undefined) query.set('limit', options.limit);
      const qs = query.toString();
      const page = await ctx.client.get<AuditPageView>(`/api/v1/audit${qs ? `?${qs}` : ''}`);
      emit(ctx, page, { kind: 'audit', ids: (p) => (p?.items ?? []).map((e) => e.id), table: renderAudit });
    });
}
