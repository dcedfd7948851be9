export * from './single-flight';
