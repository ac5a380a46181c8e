export * from './stage';
export * from './workItem';
export * from './agentMessage';
export * from './run';
export * from './events';
export * from './commands';
export * from './errors';
