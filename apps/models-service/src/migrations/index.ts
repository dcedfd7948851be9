import { Runners1764230600000 } from './1764230600000-runners';
import { Models1764230700000 } from './1764230700000-models';
import { RunnersDropHeartbeatCopies1764230800000 } from './1764230800000-runners-drop-heartbeat-copies';
import { ModelOwnership1764230900000 } from './1764230900000-model-ownership';
import { RunnersSettingsProgress1764231100000 } from './1764231100000-runners-settings-progress';
import { Gpus1764231300000 } from './1764231300000-gpus';

/** The models schema's migrations, oldest first: the service runs them, Postgres specs build their schema with them. */
export const MODELS_MIGRATIONS = [
  Runners1764230600000,
  Models1764230700000,
  RunnersDropHeartbeatCopies1764230800000,
  ModelOwnership1764230900000,
  RunnersSettingsProgress1764231100000,
  Gpus1764231300000,
];
