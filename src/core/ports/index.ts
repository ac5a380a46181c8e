export * from './clock';
export * from './spawner';
export * from './logger';
