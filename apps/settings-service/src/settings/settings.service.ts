import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { rpcError } from '@helix/rpc';
import {
  AUDIT_RECORDED,
  auditEvent,
  auditTargets,
  HF_TOKEN_PATTERN,
  REQUEST_PURPOSES,
  scopeRefProblem,
  settingsSubject,
  settingsViewId,
  type ClearScopeRequest,
  type GetManySettingsRequest,
  type ModelAccessRequest,
  type ModelAccessView,
  type RequestProof,
  type Scope,
  type ScopeRef,
  type SettingsView,
  type TokenAuditDetails,
  type UpdateSettingsRequest,
} from '@helix/contracts';
import { EnvelopeError, RequestAuthenticator, Secret, SettingsBusCipher, TokenAtRestCipher } from '@helix/secrets';
import { RequestNonceRepository } from '../requests/request-nonce.repository';
import type { HfTokenEntity } from '../entities';
import { HfTokenRepository, scopeIdOf } from '../tokens/hf-token.repository';
import { OutboxRepository } from '../outbox/outbox.repository';
import { OutboxPublisher } from '../outbox/outbox.publisher';
import { SettingsEventFactory } from './settings-event.factory';
import { HubValidation } from '../hub/hub-validation';
import type { TokenCheck } from '@helix/hf-hub';

/**
 * The token policy of every scope (global, org, user, model): every change is one transaction
 * holding the row, its new version, its outbox event and its audit entry. Who may change which scope
 * is the gateway's decision; this service checks that the scope can exist and the token is valid.
 */
@Injectable()
export class SettingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tokens: HfTokenRepository,
    private readonly outbox: OutboxRepository,
    private readonly events: SettingsEventFactory,
    private readonly bus: SettingsBusCipher,
    private readonly atRest: TokenAtRestCipher,
    private readonly publisher: OutboxPublisher,
    private readonly requests: RequestAuthenticator,
    private readonly nonces: RequestNonceRepository,
    private readonly hub: HubValidation,
    @InjectPinoLogger('SettingsService') private readonly logger: PinoLogger,
  ) {}

  async get(ref: ScopeRef = {}): Promise<SettingsView> {
    const { scope, scopeId } = checkedScope(ref);
    return toView(scope, scopeId, await this.tokens.find(scope, scopeId));
  }

  /** The views of several scopes in one query, in the order asked (unknown scopes read as never set). */
  async getMany(request: GetManySettingsRequest): Promise<SettingsView[]> {
    if (!Array.isArray(request?.scopes) || request.scopes.length > MAX_SCOPES_PER_READ)
      throw badRequest(`scopes must be a list of at most ${MAX_SCOPES_PER_READ} scopes.`);
    const refs = request.scopes.map((ref) => checkedScope(ref));
    const rows = await this.tokens.findMany(refs);
    return refs.map(({ scope, scopeId }) => toView(scope, scopeId, rows.find((r) => r.scope === scope && scopeIdOf(r) === scopeId) ?? null));
  }

  async update(request: UpdateSettingsRequest): Promise<SettingsView> {
    if (!request || typeof request.updated_by !== 'string') throw badRequest('The update request is malformed.');
    const proof = this.authenticated(REQUEST_PURPOSES.update, request);
    const { scope, scopeId } = checkedScope(request);
    if (!('huggingface_token' in request) || request.huggingface_token === undefined) {
      const current = await this.get(request);
      this.logChange(scope, scopeId, request.updated_by, false, current.version);
      return current;
    }
    const token = request.huggingface_token === null ? null : this.openRequestToken(request.huggingface_token, scope, scopeId);
    // Asked before the transaction and outside every lock: a slow Hub delays only this request (5 s at most).
    const check = token ? await this.hub.check(token) : null;
    if (token && check?.status === 'invalid') await this.rejected(scope, scopeId, token, check, request.updated_by);
    const row = await this.setToken(scope, scopeId, token, request.updated_by, proof, check);
    this.logChange(scope, scopeId, request.updated_by, true, row.version);
    this.publisher.kick();
    return toView(scope, scopeId, row);
  }

  /**
   * The org, user or model is being deleted: its token goes with a normal clear event. A scope with
   * no token set is left alone, so deleting something that never had a token publishes nothing.
   */
  async clearScope(request: ClearScopeRequest): Promise<SettingsView> {
    if (!request || typeof request.updated_by !== 'string' || (request.scope as Scope) === 'global') throw badRequest('The clear request is malformed.');
    const proof = this.authenticated(REQUEST_PURPOSES.clearScope, request);
    const { scope, scopeId } = checkedScope(request);
    const current = await this.tokens.find(scope, scopeId);
    if (!current?.envelope) return toView(scope, scopeId, current);
    const row = await this.setToken(scope, scopeId, null, request.updated_by, proof);
    this.logChange(scope, scopeId, request.updated_by, true, row.version);
    this.publisher.kick();
    return toView(scope, scopeId, row);
  }

  /** docs/reference/hub.md: a token the Hub rejected is logged; in strict mode it is refused (audited) and nothing changes. */
  private async rejected(scope: Scope, scopeId: string | null, token: Secret, check: TokenCheck, updatedBy: string): Promise<void> {
    const where = { scope, scope_id: scopeId, fingerprint: token.fingerprint, status: check.httpStatus };
    this.logger.warn(where, 'hugging face rejected the token');
    if (this.hub.mode !== 'strict') return;
    const audit = auditEvent({
      actor_id: UUID.test(updatedBy) ? updatedBy : null,
      action: 'token.refused',
      target: auditTargets.token(scope, scopeId),
      details: { scope, scope_id: scopeId, fingerprint: token.fingerprint, hub_status: check.httpStatus },
    });
    await this.db.transaction((tx) => this.outbox.add(tx, AUDIT_RECORDED, `audit@${audit.id}`, audit));
    this.publisher.kick();
    throw rpcError('invalid_token', `Hugging Face rejected this token (${check.httpStatus})`);
  }

  /**
   * docs/reference/hub.md: the model's effective control-plane token (the first level of `chain` that has one, in
   * the order the runner resolves) asked against the Hub for the model's repository.
   */
  async modelAccess(request: ModelAccessRequest): Promise<ModelAccessView> {
    if (!request || typeof request.model_id !== 'string' || !Array.isArray(request.chain) || request.chain.length > MAX_SCOPES_PER_READ)
      throw badRequest('The access request is malformed.');
    const refs = request.chain.map((ref) => checkedScope(ref));
    const rows = await this.tokens.findMany(refs);
    const row = refs.map(({ scope, scopeId }) => rows.find((r) => r.scope === scope && scopeIdOf(r) === scopeId && r.envelope)).find((r) => r !== undefined);
    const token = row ? this.atRest.open(row.envelope, row.scope, scopeIdOf(row)) : null;
    const { access, httpStatus } = await this.hub.modelAccess(request.model_id, token);
    return { model_id: request.model_id, scope: row?.scope ?? null, fingerprint: row?.fingerprint ?? null, access, hub_status: httpStatus };
  }

  /**
   * docs/reference/security.md: a change request must carry the gateway's proof over all its fields (so the author,
   * scope and token cannot be altered), unexpired; its nonce is claimed with the change (setToken).
   */
  private authenticated(purpose: string, request: { auth?: RequestProof }): RequestProof {
    const { auth, ...body } = request;
    const verdict = this.requests.verify(purpose, body, auth);
    if (verdict === 'ok') return auth!;
    this.logger.warn({ purpose, verdict }, 'refused a settings change request that is not authenticated by the gateway');
    throw rpcError('forbidden', 'The change request is not authenticated (forged, altered, expired or replayed); nothing was changed.');
  }

  /** The global scope keeps the seed's log line (docs/reference/logs.md); every other scope logs docs/reference/events.md's. */
  private logChange(scope: Scope, scopeId: string | null, userId: string, updated: boolean, version: number): void {
    if (scope === 'global') this.logger.info({ user_id: userId, hf_token_updated: updated, version }, 'system settings updated by admin');
    else this.logger.info({ scope, scope_id: scopeId, user_id: userId, hf_token_updated: updated, version }, 'token settings updated');
  }

  /**
   * Sets or clears (token null) the token of any scope; bumps its version and queues the event and
   * its audit entry (`token.set` / `token.clear`, fingerprints only) in the same transaction, so a
   * change and its audit entry are never one without the other.
   */
  setToken(
    scope: Scope,
    scopeId: string | null,
    token: Secret | null,
    updatedBy: string,
    proof?: RequestProof,
    check?: TokenCheck | null,
  ): Promise<HfTokenEntity> {
    return this.db.transaction(async (tx) => {
      // A replayed request: its nonce was claimed by the change it authorized the first time.
      if (proof && !(await this.nonces.claim(tx, proof.nonce, new Date(proof.expires_at)))) {
        this.logger.warn({ scope, scope_id: scopeId }, 'refused a replayed settings change request');
        throw rpcError('forbidden', 'The change request is not authenticated (forged, altered, expired or replayed); nothing was changed.');
      }
      const row = await this.tokens.lockForUpdate(tx, scope, scopeId);
      const oldFingerprint = row.envelope ? row.fingerprint : null;
      row.version += 1;
      row.envelope = token ? this.atRest.seal(token, scope, scopeId) : null;
      row.fingerprint = token ? token.fingerprint : null;
      row.hubStatus = token ? (check?.status ?? 'unverified') : null;
      row.hubOwner = token ? (check?.owner ?? null) : null;
      row.hubRole = token ? (check?.role ?? null) : null;
      row.updatedAt = new Date();
      row.updatedBy = updatedBy;
      await this.tokens.save(tx, row);
      const subject = settingsSubject(scope, scopeId);
      const details: TokenAuditDetails = { scope, scope_id: scopeId, version: row.version, old_fingerprint: oldFingerprint, new_fingerprint: row.fingerprint };
      if (token) Object.assign(details, { hub_status: row.hubStatus, hub_owner: row.hubOwner, hub_role: row.hubRole });
      const audit = auditEvent({
        actor_id: UUID.test(updatedBy) ? updatedBy : null,
        action: token ? 'token.set' : 'token.clear',
        target: auditTargets.token(scope, scopeId),
        details: { ...details },
      });
      // The change first: runners wait for it, the audit entry does not.
      await this.outbox.addAll(tx, [
        { subject, msgId: `${subject}@${row.version}`, event: this.events.forChange(row, token) },
        { subject: AUDIT_RECORDED, msgId: `audit@${audit.id}`, event: audit },
      ]);
      return row;
    });
  }

  private openRequestToken(envelope: unknown, scope: Scope, scopeId: string | null): Secret {
    let token: Secret;
    try {
      token = this.bus.openUpdateRequest(envelope, scope, scopeId);
    } catch (err) {
      if (err instanceof EnvelopeError)
        throw badRequest('The Hugging Face token could not be decrypted; check that the gateway and the settings service share HELIX_SETTINGS_KEY.');
      throw err;
    }
    if (!HF_TOKEN_PATTERN.test(token.reveal())) {
      throw badRequest('huggingface_token must be a string of 1 to 1024 printable ASCII characters without white space, or "" or null to clear it.');
    }
    return token;
  }
}

/** Actors are gateway users (UUIDs); anything else (a test, a system job) is recorded without an actor. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** At most this many scopes per getMany (a model's chain has four). */
const MAX_SCOPES_PER_READ = 16;

function checkedScope(ref: ScopeRef): { scope: Scope; scopeId: string | null } {
  const scope = ref?.scope ?? 'global';
  const scopeId = scope === 'global' ? (ref?.scope_id ?? null) : ref?.scope_id;
  const problem = scopeRefProblem(scope, scopeId);
  if (problem) throw badRequest(`Invalid scope: ${problem}.`);
  return { scope, scopeId: scopeId ?? null };
}

function toView(scope: Scope, scopeId: string | null, row: HfTokenEntity | null): SettingsView {
  const set = !!row?.envelope;
  return {
    id: settingsViewId(scope, scopeId),
    scope,
    scope_id: scopeId,
    created: row ? row.createdAt.toISOString() : null,
    updated: row ? row.updatedAt.toISOString() : null,
    huggingface_token_set: set,
    huggingface_token_source: set ? 'database' : 'none',
    huggingface_token_fingerprint: set ? row!.fingerprint : null,
    huggingface_token_status: set ? (row!.hubStatus ?? 'unverified') : null,
    huggingface_token_owner: set ? row!.hubOwner : null,
    huggingface_token_role: set ? row!.hubRole : null,
    version: row?.version ?? 0,
  };
}

function badRequest(message: string): ReturnType<typeof rpcError> {
  return rpcError('bad_request', message);
}
