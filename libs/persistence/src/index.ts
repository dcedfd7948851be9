export * from './data-source';
export * from './typeorm.module';
export * from './prepared';
export * from './read-with-begin';
