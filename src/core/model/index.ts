export * from './stage';
export * from './workItem';
export * from './agentMessage';
export * from './agentRun';
