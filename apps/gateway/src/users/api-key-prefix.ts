import { API_KEY_PREFIX } from '@helix/secrets';

/** How many characters of a key are shown: `hl-` and 6 more (36 of a generated key's 256 random bits). */
export const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

/**
 * The part of a key that lists may show to tell keys apart. Generated keys are 46 characters, so
 * this is `hl-` + 6. `HELIX_ADMIN_API_KEY` is chosen by the operator and may be short: never more
 * than a quarter of a key is shown.
 */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, Math.min(SHOWN_PREFIX_LENGTH, Math.floor(key.length / 4)));
}
