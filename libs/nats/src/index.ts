export * from './connection';
export * from './codec';
export * from './streams';
