/**
 * Browser test harness: the real API server (serving the built web app from apps/web/dist) on
 * this test file's own database, and Debian's headless Chromium driven by playwright-core.
 * Each test gets a fresh browser context, so cookies never leak between tests. Files that run
 * workflows ask for a runner too: the real one, in this process, on the same database.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer } from '@swarm/api';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.ts';

const WEB_DIST_DIR = fileURLToPath(new URL('../dist', import.meta.url));
/** How long a single wait for something on screen may take; well under the test timeout. */
export const UI_TIMEOUT_MS = 10_000;

export interface BrowserApp {
  /** Base URL of the API + web server. */
  readonly url: string;
  /**
   * A new page in its own browser context; uncaught page errors are collected in `errors`. With a
   * `session` (a signed-in context's `storageState()`), the page starts signed in as that user.
   * Pages are closed after each test, one opened in beforeAll too: keep its session, not the page.
   */
  newPage(options?: { session?: Session }): Promise<{ page: Page; errors: Error[] }>;
}

/** A signed-in browser context's cookies and storage, to open more pages as the same user. */
export type Session = Awaited<ReturnType<BrowserContext['storageState']>>;

export interface BrowserAppOptions {
  /** Start a runner in this process, so runs started in the browser execute. */
  runner?: boolean;
  /** Encrypts stored provider keys (base64 of 32 bytes); without it the server refuses to store keys. */
  secretKey?: string;
  /** Where the runner sends notification emails (read when the runner starts, after earlier hooks). */
  smtpUrl?: () => string;
}

/** The runner logs nothing in tests; pino's interface, silenced. */
const silentLogger = {
  level: 'silent',
  child: () => silentLogger,
  fatal() {},
  error() {},
  warn() {},
  info() {},
  debug() {},
  trace() {},
  silent() {},
};

export function useBrowserApp(options: BrowserAppOptions = {}): BrowserApp {
  const database = useTestDatabase();
  let server: Awaited<ReturnType<typeof startApiServer>> | undefined;
  let runner: { start(): Promise<void>; stop(): Promise<void> } | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  const app: BrowserApp & { url: string } = {
    url: '',
    async newPage(options = {}) {
      if (!browser) throw new Error('browser not started: call newPage() inside a test or beforeAll');
      const context = await browser.newContext({
        baseURL: app.url,
        viewport: { width: 1280, height: 800 },
        ...(options.session ? { storageState: options.session } : {}),
      });
      context.setDefaultTimeout(UI_TIMEOUT_MS);
      contexts.push(context);
      const page = await context.newPage();
      const errors: Error[] = [];
      page.on('pageerror', (error) => errors.push(error));
      return { page, errors };
    },
  };

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST_DIR, 'index.html'))) {
      throw new Error(
        `${WEB_DIST_DIR} has no index.html: build the web app first (pnpm --filter @swarm/web build; \`pnpm test\` does it).`,
      );
    }
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH).`,
      );
    }
    [server, browser] = await Promise.all([
      startApiServer({
        databaseUrl: database.url,
        port: 0,
        webDistDir: WEB_DIST_DIR,
        ...(options.secretKey ? { secretKey: options.secretKey } : {}),
      }),
      chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS }),
    ]);
    app.url = server.url;
    if (options.runner) {
      // Imported only here, so browser tests that run nothing do not load the queue library.
      const { createRunner } = await import('@swarm/runner');
      runner = createRunner({
        databaseUrl: database.url,
        logger: silentLogger as unknown as Parameters<typeof createRunner>[0]['logger'],
        poolSize: 4,
        drainSeconds: 5,
        runConcurrency: 2,
        pollSeconds: 0.5,
        superviseSeconds: 1,
        ...(options.smtpUrl ? { notifications: { smtpUrl: options.smtpUrl() } } : {}),
      });
      await runner.start();
    }
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  afterAll(async () => {
    await runner?.stop();
    await Promise.all([browser?.close(), server?.close()]);
  });

  return app;
}

let userCounter = 0;

/** Signs up through the sign-up form and waits for the workflow list. */
export async function signUp(page: Page, email = `e2e-${process.pid}-${++userCounter}@example.com`) {
  await page.goto('/signup');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByTestId('submit').click();
  await page.getByRole('heading', { name: 'Workflows', exact: true }).waitFor();
  await page.getByTestId('user-email').filter({ hasText: email }).waitFor();
  return email;
}

/** Creates a workflow from the list page; the app then opens it in the editor. */
export async function createWorkflow(page: Page, name: string): Promise<string> {
  await page.getByTestId('new-workflow').first().click();
  await page.getByTestId('workflow-name-input').fill(name);
  await page.getByTestId('create-workflow-submit').click();
  await page.waitForURL(/\/workflows\/[0-9a-f-]{36}$/);
  await page.getByTestId('canvas').waitFor();
  return new URL(page.url()).pathname.split('/').pop()!;
}

/** Drags with real mouse events from the centre of one element to the centre of another. */
export async function dragBetween(page: Page, from: string, to: string) {
  const start = await page.locator(from).boundingBox();
  const end = await page.locator(to).boundingBox();
  if (!start || !end) throw new Error(`cannot drag: ${start ? to : from} is not visible`);
  await page.mouse.move(start.x + start.width / 2, start.y + start.height / 2);
  await page.mouse.down();
  await page.mouse.move(end.x + end.width / 2, end.y + end.height / 2, { steps: 12 });
  await page.mouse.up();
}
