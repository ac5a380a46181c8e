// A temp project for the work-store tests: stage folders, story files, clean-up.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { STAGE_FOLDERS, type Stage } from '../../src/core/model/stage';

export interface TempProject {
  root: string;
  dir(stage: Stage): string;
  /** Writes a file into a stage folder and returns its path. */
  put(stage: Stage, name: string, data: string | Buffer): string;
  filesIn(stage: Stage): string[];
  remove(): void;
}

export function tempProject(prefix = 'huskies-store-'): TempProject {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dir = (stage: Stage) => path.join(root, '.huskies', 'work', STAGE_FOLDERS[stage]);
  return {
    root,
    dir,
    put(stage, name, data) {
      fs.mkdirSync(dir(stage), { recursive: true });
      fs.writeFileSync(path.join(dir(stage), name), data);
      return path.join(dir(stage), name);
    },
    filesIn: (stage) => (fs.existsSync(dir(stage)) ? fs.readdirSync(dir(stage)).sort() : []),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** A valid story with a title, an optional extra front-matter block and one criterion. */
export const storyText = (title: string, extra = '') => `---\nname: ${title}\n${extra}---\n# ${title}\n\n- [ ] c\n`;
