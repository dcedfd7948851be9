export { HubClient, HUB_TIMEOUT_MS, type AccessCheck, type ModelAccess, type TokenCheck, type TokenStatus } from './hub-client';
