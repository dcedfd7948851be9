import { Init1764230400000 } from './1764230400000-init';
import { RunnerAcksGlobal1764231100000 } from './1764231100000-runner-acks-global';
import { RequestNonces1764231200000 } from './1764231200000-request-nonces';
import { HubValidation1764231300000 } from './1764231300000-hub-validation';
import { OutboxRequestId1764231400000 } from './1764231400000-outbox-request-id';
import { RunnerAcksGlobalOnly1764231500000 } from './1764231500000-runner-acks-global-only';
import { VerifiedHeads1764231600000 } from './1764231600000-verified-heads';

export const SETTINGS_MIGRATIONS = [
  Init1764230400000,
  RunnerAcksGlobal1764231100000,
  RequestNonces1764231200000,
  HubValidation1764231300000,
  OutboxRequestId1764231400000,
  RunnerAcksGlobalOnly1764231500000,
  VerifiedHeads1764231600000,
];
