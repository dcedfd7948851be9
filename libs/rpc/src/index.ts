export * from './rpc-error';
export * from './rpc-error.filter';
export * from './deadline';
export * from './database-unavailable';
