// project.toml and agents.toml → validated, typed config. Every problem names the file, the line
// and the key; a broken file never replaces the last good version of that file (see ConfigStore).
export * from './types';
export { DEFAULT_PROJECT, checkProjectToml, parseProjectToml } from './project';
export { checkAgentsToml, parseAgentsToml } from './agents';
export { ConfigStore, loadConfig, type ConfigFileState, type FileState } from './store';
