import { Option, type Command } from 'commander';
import type { MembershipView, OrgView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { emit, idOf, idsOf } from '../emit';
import { renderMembers, renderOrgs } from '../views';
import { addSettingsCommands, scopedSettingsPath } from './scoped-settings';

const seg = encodeURIComponent;
const orgPath = (org: string) => `/api/v1/orgs/${seg(org)}`;
const memberPath = (org: string, userId: string) => `${orgPath(org)}/members/${seg(userId)}`;

export const ORG_HELP = `
Examples:
  helix org create acme --name "Acme Corp"
  helix org member add acme 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b --role owner
  helix org member list acme
  printf %s "$HF_TOKEN" | helix org settings set acme --huggingface-token-stdin
  helix org settings get acme
  helix model create acme/model --name m --type embed --runtime vllm --memory 1GB --org acme --owner <user id>

Org ids are 1-64 of a-z, 0-9 and "-", starting with a letter or digit. User ids are the ids that
"helix user create" prints (GET /api/v1/users). Admins create and delete orgs; admins and org
owners change members; admins and members see an org and its members. The org's Hugging Face
token is used by its models that have neither a model nor an owner token: admins and owners set it,
members see its fingerprint.`;

/** `helix org create|list|delete` and `helix org member add|remove|list` (docs/reference/rest.md and docs/reference/cli.md). */
export function registerOrg(program: Command, io: CliIo): void {
  const org = program.command('org').description('organizations and their members').addHelpText('after', ORG_HELP);

  org
    .command('create')
    .description('create an org (admin)')
    .argument('<id>', 'org id: 1-64 of a-z, 0-9, "-", starting with a letter or digit')
    .option('--name <name>', 'display name (default: the id)')
    .action(async (id: string, options: { name?: string }, command: Command) => {
      const ctx = contextFor(command, io);
      const created = await ctx.client.post<OrgView>('/api/v1/orgs', options.name === undefined ? { id } : { id, name: options.name });
      emit(ctx, created, {
        kind: 'org',
        ids: idOf(id),
        table: (o) => `Created org ${o?.id ?? id}${o?.name && o.name !== o.id ? ` (${o.name})` : ''}.`,
      });
    });

  org
    .command('list')
    .alias('ls')
    .description('list orgs (admins see all; others the orgs they are a member of)')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const body = await ctx.client.get<OrgView[]>('/api/v1/orgs');
      emit(ctx, body, { kind: 'org', ids: idsOf, table: (list) => renderOrgs(Array.isArray(list) ? list : []) });
    });

  org
    .command('delete')
    .alias('rm')
    .description('delete an org (admin): its memberships go; its models stay, without an org')
    .argument('<id>', 'org id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const { body } = await ctx.client.delete<OrgView>(orgPath(id));
      emit(ctx, body ?? { id, deleted: true }, { kind: 'org', ids: idOf(id), table: () => `Deleted org ${id}.` });
    });

  const member = org.command('member').description("an org's members (admins and org owners change them)");

  member
    .command('add')
    .description('add a member or change their role')
    .argument('<org>', 'org id')
    .argument('<user_id>', 'user id (as helix user create printed it)')
    .addOption(new Option('--role <role>', 'role in the org').choices(['owner', 'member']).default('member'))
    .action(async (orgId: string, userId: string, options: { role: string }, command: Command) => {
      const ctx = contextFor(command, io);
      const body = await ctx.client.put<MembershipView>(memberPath(orgId, userId), { role: options.role });
      emit(ctx, body, {
        kind: 'user',
        ids: (m) => [m?.user_id ?? userId],
        table: (m) => {
          const role = m?.role ?? options.role;
          return `User ${userId} is now ${role === 'owner' ? 'an owner' : 'a member'} of org ${orgId}.`;
        },
      });
    });

  member
    .command('remove')
    .alias('rm')
    .description('remove a member')
    .argument('<org>', 'org id')
    .argument('<user_id>', 'user id')
    .action(async (orgId: string, userId: string, _options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const { body } = await ctx.client.delete<MembershipView>(memberPath(orgId, userId));
      emit(ctx, body ?? { org_id: orgId, user_id: userId, removed: true }, {
        kind: 'user',
        ids: () => [userId],
        table: () => `Removed user ${userId} from org ${orgId}.`,
      });
    });

  member
    .command('list')
    .alias('ls')
    .description("list an org's members with their roles")
    .argument('<org>', 'org id')
    .action(async (orgId: string, _options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const body = await ctx.client.get<MembershipView[]>(`${orgPath(orgId)}/members`);
      emit(ctx, body, {
        kind: 'user',
        ids: (list) => (Array.isArray(list) ? list.map((m) => m.user_id) : []),
        table: (list) => renderMembers(orgId, Array.isArray(list) ? list : []),
      });
    });

  const settings = org.command('settings').description("the org's Hugging Face token: used by the org's models without a model or owner token");
  addSettingsCommands(settings, io, {
    scope: 'org',
    target: (command) => command.argument('<org>', 'org id'),
    request: ([orgId]) => ({ scope: 'org', scopeId: orgId as string, path: scopedSettingsPath.org(orgId as string) }),
    getDescription: "show whether the org's token is set, its fingerprint and version (admins and members)",
    setDescription: "set or clear the org's token (admins and org owners); runners receive it within seconds",
    getExamples: ['helix org settings get acme', 'helix org settings get acme --json'],
    setExamples: [
      'printf %s "$HF_TOKEN" | helix org settings set acme --huggingface-token-stdin',
      'helix org settings set acme --huggingface-token-stdin      # prompts, input hidden',
      'helix org settings set acme --clear-hf-token               # its models fall back to the global token',
    ],
  });
}
