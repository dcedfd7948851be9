export * from './single-flight';
export * from './group-commit';
