export { ConfigError, loadConfig, loadConfigOrExit } from './load-config';
export {
  EnvInt,
  IsBase64Key32,
  IsKeyList,
  IsIntBetween,
  IsLogLevel,
  IsMemorySize,
  IsNatsUrlList,
  IsPort,
  IsPostgresUrl,
  IsStreamReplicas,
  LOG_LEVELS,
} from './decorators';
export type { LogLevel } from './decorators';
export { DatabaseServiceConfig, MicroserviceConfig, ServiceConfig } from './service-config';
