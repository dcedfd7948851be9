export * from './connection';
export * from './connection-status';
export * from './codec';
export * from './consumer-loop';
export * from './errors';
export * from './nats.module';
export * from './streams';
export * from './audit-publisher';
