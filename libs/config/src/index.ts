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
export { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Transform, ValidateBy, ValidateIf } from './validation';
export type { TransformParams, ValidationArguments, ValidationOptions } from './validation';
export { DatabaseServiceConfig, MicroserviceConfig, ServiceConfig } from './service-config';
