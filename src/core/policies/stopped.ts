// Why no agent may start in this process now: an untrusted workspace, no project yet, another
// process drives the project, a command that runs no agent, or agents.toml with no usable version.
export interface StartConditions {
  trusted: boolean;
  initialized: boolean;
  follower?: { pid: number; by: string };
  runAgents: boolean;
  /** Why agents.toml gives no agent (broken with no good version), if so. */
  agentsUnavailable?: string;
}

export function whyStopped(c: StartConditions): string | undefined {
  if (!c.trusted) return 'The workspace is not trusted: agents are disabled.';
  if (!c.initialized) return 'This folder has no Huskies project yet.';
  if (c.follower) return `Another Huskies orchestrator (pid ${c.follower.pid}, ${c.follower.by}) drives this project.`;
  if (!c.runAgents) return 'This command runs no agent: VS Code or `huskies run` starts the queued work.';
  return c.agentsUnavailable || undefined;
}
