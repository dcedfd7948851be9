export * from './settings.dto';
export * from './users.dto';
export * from './models.dto';
export * from './orgs.dto';
export * from './views.dto';
