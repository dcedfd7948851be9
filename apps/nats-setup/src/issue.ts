import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { runnerPermissions, servicePermissions, type RolePermissions, type ServiceRole } from './permissions';

export const SERVICE_ROLES: readonly ServiceRole[] = ['gateway', 'settings-service', 'models-service'];

export interface SetupOptions {
  /** Runner ids to issue `runner-<id>.creds` for. */
  runners: string[];
  /** Also write `admin.creds` (every subject: for an operator's `nats` CLI and for tests; keep it off the cluster). */
  admin: boolean;
}

export interface SetupResult {
  config: string;
  credentials: string[];
  /** False when the signing keys already existed in the directory and were reused. */
  createdKeys: boolean;
}

/**
 * Issues NATS credentials in operator (JWT) mode: an operator, a system account and one HELIX
 * account with JetStream, all kept in `<dir>/keys` (0600) so a later run issues more runner
 * credentials under the same account without touching the running server. Users are never listed
 * in the server configuration: any user JWT the account signs is accepted, with the permissions it
 * carries.
 */
export async function setupNatsAuth(dir: string, options: SetupOptions): Promise<SetupResult> {
  mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
  chmodSync(join(dir, 'keys'), 0o700);
  const createdKeys = !existsSync(join(dir, 'keys', 'account.nk'));
  const operator = loadOrCreate(dir, 'operator', createOperator);
  const system = loadOrCreate(dir, 'system', createAccount);
  const account = loadOrCreate(dir, 'account', createAccount);

  const config = join(dir, 'nats.conf');
  if (createdKeys || !existsSync(config)) writeSecret(config, await serverConfig(operator, system, account));

  const credentials: string[] = [];
  const issue = async (name: string, permissions: RolePermissions | null) => {
    const file = join(dir, `${name}.creds`);
    writeSecret(file, await userCreds(name, account, permissions));
    credentials.push(file);
  };
  for (const role of SERVICE_ROLES) await issue(role, servicePermissions(role));
  for (const id of options.runners) await issue(`runner-${id}`, runnerPermissions(id));
  if (options.admin) await issue('admin', null);
  return { config, credentials, createdKeys };
}

async function serverConfig(operator: KeyPair, system: KeyPair, account: KeyPair): Promise<string> {
  const operatorJwt = await encodeOperator('helix', operator, { system_account: system.getPublicKey() });
  const systemJwt = await encodeAccount('SYS', system, {}, { signer: operator });
  const unlimited = -1;
  const accountJwt = await encodeAccount(
    'HELIX',
    account,
    {
      limits: {
        subs: unlimited,
        conn: unlimited,
        leaf: unlimited,
        imports: unlimited,
        exports: unlimited,
        data: unlimited,
        payload: unlimited,
        wildcards: true,
        mem_storage: unlimited,
        disk_storage: unlimited,
        streams: unlimited,
        consumer: unlimited,
      },
    },
    { signer: operator },
  );
  return [
    '# Written by bin/helix-nats-setup: NATS operator mode, the HELIX account (JetStream) and the system account.',
    '# Public keys and JWTs only; the signing seeds stay in keys/. Start with:',
    '#   nats-server -c nats.conf -a <address> -p <port> -js -sd <store dir>',
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${system.getPublicKey()}: ${systemJwt}`,
    `  ${account.getPublicKey()}: ${accountJwt}`,
    '}',
    'jetstream: {}',
    '',
  ].join('\n');
}

async function userCreds(name: string, account: KeyPair, permissions: RolePermissions | null): Promise<Uint8Array> {
  const user = createUser();
  // No response permission (`resp`): replies go to subjects the permissions name (see permissions.ts).
  const claims = permissions ? { pub: { allow: permissions.publish }, sub: { allow: permissions.subscribe } } : {};
  const jwt = await encodeUser(name, user, account, claims);
  return fmtCreds(jwt, user);
}

function loadOrCreate(dir: string, name: string, create: () => KeyPair): KeyPair {
  const file = join(dir, 'keys', `${name}.nk`);
  if (existsSync(file)) return fromSeed(new TextEncoder().encode(readFileSync(file, 'utf8').trim()));
  const kp = create();
  writeSecret(file, new TextDecoder().decode(kp.getSeed()) + '\n');
  return kp;
}

function writeSecret(file: string, content: string | Uint8Array): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}
