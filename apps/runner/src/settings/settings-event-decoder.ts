import { describeFieldErrors, parseSettingsUpdatedEvent, settingsSubject, type SettingsUpdatedEvent } from '@helix/contracts';
import { EnvelopeError, type EventVerifier, type Secret, type SettingsBusCipher } from '@helix/secrets';
import type { TokenUpdate } from '@helix/token-store';

/** Why an event was not applied; the label of helix_runner_settings_ignored_total. */
export type IgnoredReason = 'unsigned' | 'malformed' | 'undecryptable';

export type DecodedSettingsEvent =
  { ok: true; event: SettingsUpdatedEvent; update: TokenUpdate } | { ok: false; reason: IgnoredReason; problem: string; event?: SettingsUpdatedEvent };

/** What a runner needs to accept an event: the settings-service's public key and the bus key. */
export interface EventKeys {
  verifier: EventVerifier;
  cipher: SettingsBusCipher;
}

/**
 * Bytes from `settings.updated.>` → a token update the TokenStore accepts, or why not. Pure: no
 * I/O, no logging. `problem` names fields and never repeats the message's content. First of all the
 * message must carry the settings-service's signature over its subject and bytes (docs/reference/security.md): an
 * unsigned or forged event (a clear, a huge version) is refused before anything in it is read.
 */
export function decodeSettingsEvent(subject: string, data: Uint8Array, signature: string | undefined, keys: EventKeys): DecodedSettingsEvent {
  if (!keys.verifier.verify(subject, data, signature)) {
    return { ok: false, reason: 'unsigned', problem: signature ? 'the signature does not verify with HELIX_EVENT_VERIFY_KEY' : 'the event is not signed' };
  }
  const cipher = keys.cipher;
  const parsed = parseSettingsUpdatedEvent(data);
  if (!parsed.ok) return { ok: false, reason: 'malformed', problem: describeFieldErrors(parsed.errors) };
  const event = parsed.value;
  // The subject is the replay key: an event filed under another scope's subject would be replayed as that scope's state.
  if (subject !== settingsSubject(event.scope, event.scope_id)) {
    return { ok: false, reason: 'malformed', problem: 'the subject does not match scope and scope_id', event };
  }
  let token: Secret | null = null;
  if (event.huggingface_token !== null) {
    try {
      token = cipher.openEvent(event.huggingface_token, event.scope, event.scope_id, event.version);
    } catch (err) {
      if (!(err instanceof EnvelopeError)) throw err;
      return { ok: false, reason: 'undecryptable', problem: `huggingface_token ${err.reason}`, event };
    }
    // A clear is an explicit null; an empty token would shadow the levels below it.
    if (token.reveal() === '') return { ok: false, reason: 'malformed', problem: 'huggingface_token holds an empty token', event };
  }
  return { ok: true, event, update: { scope: event.scope, scopeId: event.scope_id, version: event.version, token } };
}
