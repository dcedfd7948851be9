import { describeFieldErrors, parseSettingsUpdatedEvent, settingsSubject, type SettingsUpdatedEvent } from '@helix/contracts';
import { EnvelopeError, type Secret, type SettingsBusCipher } from '@helix/secrets';
import type { TokenUpdate } from '@helix/token-store';

/** Why an event was not applied; the label of helix_runner_settings_ignored_total. */
export type IgnoredReason = 'malformed' | 'undecryptable';

export type DecodedSettingsEvent =
  { ok: true; event: SettingsUpdatedEvent; update: TokenUpdate } | { ok: false; reason: IgnoredReason; problem: string; event?: SettingsUpdatedEvent };

/**
 * Bytes from `settings.updated.>` → a token update the TokenStore accepts, or why not. Pure: no
 * I/O, no logging. `problem` names fields and never repeats the message's content.
 */
export function decodeSettingsEvent(subject: string, data: Uint8Array, cipher: SettingsBusCipher): DecodedSettingsEvent {
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
