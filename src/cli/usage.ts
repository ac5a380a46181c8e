// What the `huskies` command's parts share for reading their arguments: the usage error (printed
// with the usage text, exit code 2) and the readers of story numbers.
export class UsageError extends Error {}

export function storyNumber(v: string | undefined): number {
  if (!v || !/^\d+$/.test(v)) throw new UsageError(`expected a story number, got ${v === undefined ? 'nothing' : `"${v}"`}`);
  return Number(v);
}

/** Whether an argument is a story number (rather than text). */
export const isStoryNumber = (v: string | undefined): v is string => v !== undefined && /^\d+$/.test(v);
