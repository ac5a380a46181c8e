// Loads project.toml and agents.toml each on its own: a broken file falls back to its own last good
// version (kept in a runtime file across restarts) and never takes the other file down with it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkAgentsToml } from './agents';
import { checkProjectToml, DEFAULT_PROJECT } from './project';
import { ConfigError, formatProblem, type AgentSpec, type ConfigCheck, type ConfigProblem, type HuskiesConfig, type ProjectConfig } from './types';
import { writeFileAtomic } from '../util/fsAtomic';

const FILES = { project: 'project.toml', agents: 'agents.toml' } as const;
type Kind = keyof typeof FILES;

/** The file's text, or undefined when it does not exist (any other failure rejects). */
const readIfThere = (file: string): Promise<string | undefined> =>
  fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));

/** Reads both files. Missing files give defaults; broken ones throw ConfigError with the errors of both. */
export async function loadConfig(root: string): Promise<HuskiesConfig> {
  const dir = path.join(root, '.huskies');
  const [projectText, agentsText] = await Promise.all([readIfThere(path.join(dir, FILES.project)), readIfThere(path.join(dir, FILES.agents))]);
  const project = projectText === undefined ? { value: DEFAULT_PROJECT, problems: [] } : checkProjectToml(projectText);
  const agents = agentsText === undefined ? { value: [], problems: [] } : checkAgentsToml(agentsText);
  if (project.value === undefined || agents.value === undefined) {
    throw new ConfigError([...project.problems, ...agents.problems].filter((p) => p.severity === 'error'));
  }
  return { project: project.value, agents: agents.value };
}

/**
 * How a file's config was obtained: `missing` (defaults / no agents defined), `good` (the file as it
 * is), `last-good` (the file has errors; its last good version runs), `unusable` (errors and no good
 * version ever: no agent may start).
 */
export type FileState = 'missing' | 'good' | 'last-good' | 'unusable';

export interface ConfigFileState {
  /** As shown to the user, e.g. `.huskies/project.toml`. */
  file: string;
  state: FileState;
  /** For `last-good`: when that version was saved (ISO 8601). */
  savedAt?: string;
  /** Errors and warnings of the file as it is on disk. */
  problems: ConfigProblem[];
}

interface SavedText {
  text: string;
  savedAt: string;
}
interface LastGoodFile {
  version: 1;
  files: Partial<Record<string, SavedText>>;
}

interface Slot<T> extends ConfigFileState {
  value: T;
}

const CHECKS: Record<Kind, (text: string, file: string) => ConfigCheck<unknown>> = { project: checkProjectToml, agents: checkAgentsToml };
const NO_AGENTS: AgentSpec[] = Object.freeze([]) as unknown as AgentSpec[];
const DEFAULTS: Record<Kind, unknown> = { project: DEFAULT_PROJECT, agents: NO_AGENTS };

export class ConfigStore {
  private slots: { project: Slot<ProjectConfig>; agents: Slot<AgentSpec[]> };
  private saved?: LastGoodFile;
  /** Trouble with the runtime file or the reload itself; warnings, since the config in effect stays sound. */
  private notices: { read?: ConfigProblem; write?: ConfigProblem; failure?: ConfigProblem } = {};
  private queue: Promise<unknown> = Promise.resolve();
  private reloaded = false;

  /**
   * @param root the project folder (the one holding `.huskies/`)
   * @param lastGoodFile runtime file keeping the last good text of each file; default `.huskies/config.lastgood.json`
   */
  constructor(
    private readonly root: string,
    private readonly lastGoodFile = path.join(root, '.huskies', 'config.lastgood.json'),
  ) {
    const empty = (kind: Kind) => ({ file: `.huskies/${FILES[kind]}`, state: 'missing' as const, problems: [] });
    this.slots = { project: { ...empty('project'), value: DEFAULT_PROJECT }, agents: { ...empty('agents'), value: NO_AGENTS } };
  }

  /** The config in effect: for each file its current, last good or default version. */
  get config(): HuskiesConfig {
    return { project: this.slots.project.value, agents: this.slots.agents.value };
  }

  /** True once a reload left both files usable (good, missing, or running their last good version). */
  hasLoaded(): boolean {
    return this.reloaded && this.agentsUnavailable() === undefined;
  }

  /**
   * Why no agent may start, or undefined when agents may start. Set while a file has errors and no
   * good version of it was ever loaded: its agents, budget cap or max_coders are unknown.
   */
  agentsUnavailable(): string | undefined {
    const reasons = this.fileStates()
      .filter((s) => s.state === 'unusable')
      .map((s) => {
        const errors = s.problems.filter((p) => p.severity === 'error');
        const first = errors[0];
        const where = first.line === undefined ? first.message : `line ${first.line}: ${first.message}`;
        const more = errors.length > 1 ? `; ${errors.length - 1} more` : '';
        return `${s.file} has errors and there is no earlier good version: no agent starts until it is fixed (${where}${more})`;
      });
    return reasons.length ? reasons.join('\n') : undefined;
  }

  /** Per file: where its config comes from, and the problems of the file on disk. */
  getFileStates(): ConfigFileState[] {
    return this.fileStates().map(({ file, state, savedAt, problems }) => ({ file, state, ...(savedAt && { savedAt }), problems }));
  }

  /** Every error and warning, as objects (file, line, key, severity, message). */
  getDiagnostics(): ConfigProblem[] {
    const notices = [this.notices.read, this.notices.write, this.notices.failure].filter((n): n is ConfigProblem => n !== undefined);
    return [...this.fileStates().flatMap((s) => s.problems), ...notices];
  }

  /** The errors, each as `<file>:<line>: <message>`, then a line per broken file on what runs instead. */
  getProblems(): string[] {
    const errors = this.getDiagnostics()
      .filter((p) => p.severity === 'error')
      .map(formatProblem);
    const notes = this.fileStates().flatMap((s) => {
      if (s.state === 'last-good') return [`${s.file} has errors: the last good version${s.savedAt ? ` (saved ${s.savedAt})` : ''} is in use until they are fixed.`];
      if (s.state === 'unusable') return [`${s.file} has errors and there is no earlier good version: no agent starts until it is fixed.`];
      return [];
    });
    return [...errors, ...notes];
  }

  /** The warnings (the files stay usable), each as `<file>:<line>: <message>`. */
  getWarnings(): string[] {
    return this.getDiagnostics()
      .filter((p) => p.severity === 'warning')
      .map(formatProblem);
  }

  /** Reads both files again. Resolves true when the config in effect changed; never rejects. */
  reload(): Promise<boolean> {
    // One at a time, so that overlapping reloads neither interleave their reads nor race on the saved file.
    const next = this.queue.then(() => this.load());
    this.queue = next;
    return next;
  }

  private fileStates(): Slot<unknown>[] {
    return [this.slots.project, this.slots.agents];
  }

  private async load(): Promise<boolean> {
    const before = JSON.stringify(this.config);
    try {
      if (!this.saved) this.saved = await this.readSaved();
      let dirty = false;
      for (const kind of Object.keys(FILES) as Kind[]) dirty = (await this.loadFile(kind)) || dirty;
      if (dirty) await this.writeSaved();
      // A lost saved copy matters only while a file is broken.
      if (this.fileStates().every((s) => s.state === 'good' || s.state === 'missing')) this.notices.read = undefined;
      this.notices.failure = undefined;
    } catch (err) {
      // Only a bug gets here (each expected failure is a problem of its file); the config in effect stays.
      this.notices.failure = this.savedProblem(`reloading the configuration failed: ${(err as Error).message}`);
    }
    this.reloaded = true;
    return JSON.stringify(this.config) !== before;
  }

  /** Loads one file into its slot; true when its text became the saved last good version. */
  private async loadFile(kind: Kind): Promise<boolean> {
    const file = `.huskies/${FILES[kind]}`;
    const slot = this.slots[kind] as Slot<unknown>;
    let text: string | undefined;
    let check: ConfigCheck<unknown>;
    try {
      text = await readIfThere(path.join(this.root, file));
      if (text === undefined) {
        Object.assign(slot, { state: 'missing', value: DEFAULTS[kind], problems: [], savedAt: undefined });
        return false;
      }
      check = CHECKS[kind](text, file);
    } catch (err) {
      check = { problems: [{ file, severity: 'error', message: `could not be read: ${(err as Error).message}` }] };
    }
    const saved = this.saved?.files[FILES[kind]];
    if (check.value !== undefined && text !== undefined) {
      Object.assign(slot, { state: 'good', value: check.value, problems: check.problems, savedAt: undefined });
      if (saved?.text === text) return false;
      this.saved!.files[FILES[kind]] = { text, savedAt: new Date().toISOString() };
      return true;
    }
    // `saved` always holds the newest good text (it is updated before it is written), so it is the fallback;
    // a saved text that fails today's checks (an older version wrote it) counts as none.
    const fallback = saved && CHECKS[kind](saved.text, file).value;
    if (fallback !== undefined) Object.assign(slot, { state: 'last-good', value: fallback, problems: check.problems, savedAt: saved!.savedAt });
    else Object.assign(slot, { state: 'unusable', value: DEFAULTS[kind], problems: check.problems, savedAt: undefined });
    return false;
  }

  private async readSaved(): Promise<LastGoodFile> {
    try {
      const text = await readIfThere(this.lastGoodFile);
      if (text === undefined) return { version: 1, files: {} };
      const data = JSON.parse(text) as LastGoodFile;
      const files: LastGoodFile['files'] = {};
      for (const [name, entry] of Object.entries(data?.files ?? {})) {
        if (typeof entry?.text === 'string' && typeof entry.savedAt === 'string') files[name] = { text: entry.text, savedAt: entry.savedAt };
      }
      return { version: 1, files };
    } catch (err) {
      this.notices.read = this.savedProblem(`could not be read (${(err as Error).message}); it is written again at the next good load`);
      return { version: 1, files: {} };
    }
  }

  private async writeSaved(): Promise<void> {
    try {
      await writeFileAtomic(this.lastGoodFile, `${JSON.stringify(this.saved, null, 2)}\n`);
      this.notices.write = undefined;
    } catch (err) {
      this.notices.write = this.savedProblem(`could not be written (${(err as Error).message}); after a restart a broken file has no last good version`);
    }
  }

  private savedProblem(message: string): ConfigProblem {
    return { file: path.relative(this.root, this.lastGoodFile) || this.lastGoodFile, severity: 'warning', message };
  }
}
