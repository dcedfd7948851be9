export { Secret, fingerprint, REDACTED } from './secret';
export { EnvelopeKey, EnvelopeError, InvalidKeyError, generateKeyBase64, seal, open } from './envelope';
export type { EnvelopeErrorReason } from './envelope';
export { API_KEY_PREFIX, generateApiKey, hashApiKey, apiKeyMatches } from './api-key';
export { redact } from './redact';
export { decodeBase64Strict, decodeBase64UrlStrict, isBase64Key32 } from './base64';
export { SettingsBusCipher } from './settings-bus-cipher';
export { TokenAtRestCipher } from './token-at-rest-cipher';
export * from './aad';
