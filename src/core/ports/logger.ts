// The logger port. Secrets are masked before anything reaches a sink (see util/log).
export type { Logger } from '../util/log';
export { nullLogger, consoleLogger } from '../util/log';
