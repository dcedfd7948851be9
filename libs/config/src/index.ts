export { ConfigError, loadConfig, loadConfigOrExit } from './load-config';
export {
  EnvBool,
  EnvInt,
  EnvMemory,
  IsBase64Key32,
  IsLogLevel,
  IsMemorySize,
  IsNatsUrlList,
  IsPort,
  IsPostgresUrl,
  LOG_LEVELS,
} from './decorators';
export type { LogLevel } from './decorators';
