/**
 * ZIP bundles of export documents, read with hard limits: archives come from users, so entry
 * names are checked for traversal, nested archives are refused, and the unpacked size is capped
 * per entry, in total and by compression ratio before anything is inflated. fflate inflates into a
 * buffer of the declared size, so an entry that lies about its size cannot grow past it either.
 */
import { strFromU8, strToU8, type UnzipFileInfo, unzipSync, zipSync } from 'fflate';
import { DomainError } from '../errors.ts';

export interface ZipLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  /** Unpacked size over packed size, per entry; deflated JSON rarely passes 20. */
  maxCompressionRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 1_000,
  maxEntryBytes: 10 * 1024 * 1024,
  maxTotalBytes: 50 * 1024 * 1024,
  maxCompressionRatio: 200,
};

const ARCHIVE_NAME = /\.(zip|jar|gz|tgz|tar|bz2|xz|7z|rar)$/i;
const ARCHIVE_MAGIC = [
  [0x50, 0x4b, 0x03, 0x04], // zip
  [0x50, 0x4b, 0x05, 0x06], // empty zip
  [0x1f, 0x8b], // gzip
  [0x42, 0x5a, 0x68], // bzip2
  [0x37, 0x7a, 0xbc, 0xaf], // 7z
  [0xfd, 0x37, 0x7a, 0x58], // xz
];

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

/** Why an entry name is unsafe, or null. Names are relative paths with "/" separators only. */
export function unsafeEntryName(name: string): string | null {
  if (name.length === 0 || name.length > 255) return 'name is empty or longer than 255 characters';
  if (name.includes('\\')) return 'backslashes are not allowed in entry names';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'absolute paths are not allowed';
  if (name.split('/').some((part) => part === '..')) return 'paths may not leave the archive ("..")';
  if ([...name].some((c) => c.charCodeAt(0) < 0x20))
    return 'control characters are not allowed in entry names';
  return null;
}

const tooLarge = (message: string) => new DomainError('PAYLOAD_TOO_LARGE', message);
const badArchive = (entry: string, message: string) =>
  new DomainError('BAD_REQUEST', `${entry}: ${message}`, [{ path: entry, message }]);

/**
 * Unpacks the `.json` entries of a ZIP as text (directories skipped), after checking every entry
 * against the limits. Anything else — traversal, archives inside, other files — refuses the whole
 * archive, naming the entry.
 */
export function readZipEntries(
  bytes: Uint8Array,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Array<{ name: string; text: string }> {
  let entries = 0;
  let total = 0;
  let problem: DomainError | null = null;
  const check = (file: UnzipFileInfo): boolean => {
    if (problem) return false;
    entries++;
    const entry = `archive entry "${file.name.slice(0, 100)}"`;
    if (entries > limits.maxEntries) {
      problem = tooLarge(`the archive has more than ${limits.maxEntries} entries`);
      return false;
    }
    const unsafe = unsafeEntryName(file.name);
    if (unsafe) {
      problem = badArchive(entry, unsafe);
      return false;
    }
    if (file.name.endsWith('/')) return false;
    if (ARCHIVE_NAME.test(file.name)) {
      problem = badArchive(entry, 'archives inside archives are not accepted');
      return false;
    }
    if (!file.name.toLowerCase().endsWith('.json')) {
      problem = badArchive(entry, 'only .json files are accepted in an import archive');
      return false;
    }
    if (file.compression !== 0 && file.compression !== 8) {
      problem = badArchive(entry, `compression method ${file.compression} is not supported`);
      return false;
    }
    if (file.originalSize > limits.maxEntryBytes) {
      problem = tooLarge(`${entry} unpacks to more than ${limits.maxEntryBytes} bytes`);
      return false;
    }
    if (file.originalSize > Math.max(file.size, 1) * limits.maxCompressionRatio) {
      problem = tooLarge(`${entry} is compressed more than ${limits.maxCompressionRatio}:1 (a zip bomb?)`);
      return false;
    }
    total += file.originalSize;
    if (total > limits.maxTotalBytes) {
      problem = tooLarge(`the archive unpacks to more than ${limits.maxTotalBytes} bytes`);
      return false;
    }
    return true;
  };

  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: check });
  } catch (error) {
    if (problem) throw problem;
    throw new DomainError('BAD_REQUEST', `not a readable ZIP archive (${(error as Error).message})`);
  }
  if (problem) throw problem;

  const out: Array<{ name: string; text: string }> = [];
  for (const [name, data] of Object.entries(files)) {
    if (ARCHIVE_MAGIC.some((magic) => magic.every((b, i) => data[i] === b)))
      throw badArchive(`archive entry "${name.slice(0, 100)}"`, 'archives inside archives are not accepted');
    out.push({ name, text: strFromU8(data) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A file name safe on every OS and in a Content-Disposition header: `triage-bot`. */
export function safeFileName(name: string, fallback = 'workflow'): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\w\s-]/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  return base || fallback;
}

/** One ZIP of JSON files; names are made safe and unique (`report.json`, `report-2.json`). */
export function writeZip(files: ReadonlyArray<{ name: string; json: unknown }>): Uint8Array {
  const used = new Set<string>();
  const entries: Record<string, Uint8Array> = {};
  for (const file of files) {
    const base = safeFileName(file.name);
    let name = `${base}.json`;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}.json`;
    used.add(name);
    entries[name] = strToU8(JSON.stringify(file.json, null, 2));
  }
  return zipEntries(entries);
}

/** A ZIP of the given entries exactly as named (no checks: callers name entries themselves). */
export function zipEntries(entries: Record<string, Uint8Array>): Uint8Array {
  return zipSync(entries, { level: 6 });
}
