/**
 * The docs keep pointing at things that exist. Every markdown file a newcomer reads (README.md,
 * CONTRIBUTING.md, docs/**, each app's and package's README.md) is scanned for
 * - relative links: the target file or folder must exist, and an `#anchor` into a markdown file
 *   must name one of its headings (GitHub's slugs);
 * - repo paths in code (`apps/…`, `packages/…`, `bench/…`, …, inline or in code blocks): the path
 *   must exist, from the repository root or from the file's folder (`test/…` in a package README);
 *   a placeholder (`<id>`, `*`, `{a,b}`) ends the part that is checked.
 * Code moves often; a doc that names a file it no longer has sends readers nowhere.
 * The front door and docs/ also keep lines to 100 characters, so they read well in any viewer.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const REPO_PATH_PREFIXES = ['apps/', 'packages/', 'bench/', 'drill/', 'scripts/', 'docs/', 'test/', '.ci/'];
const MAX_LINE = 100;

function markdownUnder(dir: string): string[] {
  if (!existsSync(path.join(root, dir))) return [];
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.md'))
    .map((file) => path.join(dir, file));
}

function packageReadmes(): string[] {
  return ['apps', 'packages'].flatMap((group) =>
    readdirSync(path.join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(group, entry.name, 'README.md'))
      .filter((file) => existsSync(path.join(root, file))),
  );
}

/** The files whose lines are held to MAX_LINE (package READMEs are their owners' to format). */
const frontDoor = ['README.md', 'CONTRIBUTING.md', ...markdownUnder('docs')];
const scanned = [...frontDoor, ...packageReadmes()];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const base = heading[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

interface Line {
  number: number;
  text: string;
}

/** Lines outside fenced code blocks. */
function proseLines(markdown: string): Line[] {
  return splitLines(markdown).filter((line) => !line.fenced);
}

function splitLines(markdown: string): Array<Line & { fenced: boolean }> {
  let fence: string | null = null;
  return markdown.split('\n').map((text, index) => {
    const marker = /^\s*(```|~~~)/.exec(text)?.[1];
    const isFenceLine = marker !== undefined && (fence === null || marker === fence);
    const fenced = fence !== null || isFenceLine;
    if (isFenceLine) fence = fence === null ? marker : null;
    return { number: index + 1, text, fenced };
  });
}

/** Relative link targets: `[text](target)` and reference definitions `[id]: target`. */
function linkTargets(line: string): string[] {
  const withoutCode = line.replace(/`[^`]*`/g, '');
  const inline = [...withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const reference = /^\s*\[[^\]]+\]:\s*(\S+)/.exec(withoutCode)?.[1];
  return reference ? [...inline, reference] : inline;
}

/** Words in code (inline spans, or whole lines inside fences) that name a repo path. */
function repoPathsIn(line: string, fenced: boolean): string[] {
  const code = fenced ? [line] : [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  return code
    .flatMap((span) => span.split(/[\s=]+/))
    .map((word) => word.replace(/^[('"[]+/, '').replace(/[)'",;:.\]]+$/, ''))
    .filter((word) => REPO_PATH_PREFIXES.some((prefix) => word.startsWith(prefix)));
}

/** The part of a path before any placeholder or glob, without a trailing `:line`. */
function literalPart(repoPath: string): string {
  const cut = repoPath.search(/[<*{…]/);
  const literal = cut === -1 ? repoPath : repoPath.slice(0, repoPath.lastIndexOf('/', cut) + 1);
  return literal.replace(/:\d+$/, '');
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

describe('docs point at things that exist', () => {
  it('scans the front door, the docs and every package README', () => {
    expect(scanned).toContain('README.md');
    expect(scanned).toContain('CONTRIBUTING.md');
    expect(scanned.filter((file) => file.startsWith('docs'))).not.toEqual([]);
  });

  it.each(scanned)('%s: relative links resolve (files and heading anchors)', (file) => {
    const markdown = readFileSync(path.join(root, file), 'utf8');
    const broken: string[] = [];
    for (const { number, text } of proseLines(markdown)) {
      for (const target of linkTargets(text)) {
        if (isExternal(target)) continue;
        const [targetPath = '', anchor] = target.split('#');
        const resolved = targetPath
          ? path.resolve(path.dirname(path.join(root, file)), decodeURIComponent(targetPath))
          : path.join(root, file);
        if (!existsSync(resolved)) {
          broken.push(`${file}:${number}: ${target} (no such file)`);
          continue;
        }
        if (anchor && resolved.endsWith('.md') && statSync(resolved).isFile()) {
          if (!anchorsOf(readFileSync(resolved, 'utf8')).has(anchor.toLowerCase()))
            broken.push(`${file}:${number}: ${target} (no heading for #${anchor})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(scanned)('%s: repo paths named in code exist', (file) => {
    const markdown = readFileSync(path.join(root, file), 'utf8');
    const missing: string[] = [];
    for (const { number, text, fenced } of splitLines(markdown)) {
      for (const repoPath of repoPathsIn(text, fenced)) {
        // From the repository root, or (in a package README) from the package.
        const literal = literalPart(repoPath);
        const found = [root, path.dirname(path.join(root, file))].some((base) =>
          existsSync(path.join(base, literal)),
        );
        if (!found) missing.push(`${file}:${number}: ${repoPath}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it.each(frontDoor)(`%s: lines are at most ${MAX_LINE} characters`, (file) => {
    const long = readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .map((text, index) => ({ number: index + 1, length: [...text].length }))
      .filter((line) => line.length > MAX_LINE)
      .map((line) => `${file}:${line.number} (${line.length} characters)`);
    expect(long).toEqual([]);
  });
});
