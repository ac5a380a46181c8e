// The toolkit as a script of its own: the output page loads it after its first paint, so its
// rows are on screen before the toolkit's code is even parsed.
import { registerToolkit } from './toolkit';

registerToolkit();
