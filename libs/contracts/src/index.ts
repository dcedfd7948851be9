export * from './subjects';
export * from './settings';
export * from './errors';
export * from './memory';
export * from './runners';
export * from './models';
export * from './dto/index';
export * from './parse';
