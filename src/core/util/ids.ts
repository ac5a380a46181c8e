// Safe names for paths and branches derived from story text.

/** Lower-case ASCII slug of a title: letters, digits and underscores, at most 48 characters. */
export function slugify(title: string): string {
  const s = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 48)
    .replace(/_+$/g, '');
  return s || 'untitled';
}

const SAFE_SEGMENT = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** True when s is safe as one path segment and as part of a git ref. */
export function isSafeSegment(s: string): boolean {
  return SAFE_SEGMENT.test(s) && !s.includes('..');
}

export function newRunId(storyId: number, now: number): string {
  const rand = Math.random().toString(36).slice(2, 8);
  return `${storyId}-${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${rand}`;
}
