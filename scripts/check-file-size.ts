/**
 * `pnpm lint` step: every TypeScript source file (tests included) stays under MAX_LINES lines, so
 * a file keeps to one job. Fails naming each file at or over the limit, longest first. Generated
 * files (a `@generated` marker near the top) and build output are not ours to shorten.
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LINES = 600;
const ROOTS = ['apps', 'packages', 'bench', 'drill', 'scripts'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage', 'test-results', '.turbo']);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function* sourceFiles(dir: string): Generator<string> {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // a root that does not exist in this checkout
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) yield* sourceFiles(path);
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

function lineCount(text: string): number {
  if (text === '') return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

const tooLong: { file: string; lines: number }[] = [];
for (const root of ROOTS) {
  for (const path of sourceFiles(join(repoRoot, root))) {
    const text = readFileSync(path, 'utf8');
    if (text.slice(0, 500).includes('@generated')) continue;
    const lines = lineCount(text);
    if (lines >= MAX_LINES) tooLong.push({ file: relative(repoRoot, path), lines });
  }
}

if (tooLong.length > 0) {
  tooLong.sort((a, b) => b.lines - a.lines);
  console.error(`${tooLong.length} source file(s) with ${MAX_LINES} lines or more; split them by job:`);
  for (const { file, lines } of tooLong) console.error(`  ${file}: ${lines} lines`);
  process.exit(1);
}
console.log(`file sizes: every .ts/.tsx file under ${ROOTS.join(', ')} is under ${MAX_LINES} lines`);
