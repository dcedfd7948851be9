export * from './settings.dto';
export * from './users.dto';
