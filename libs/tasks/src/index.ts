export * from './single-flight';
export * from './group-commit';
export * from './latest-per-key';
