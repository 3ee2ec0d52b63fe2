import { describe, expect, test } from 'vitest';
import { exportUrl, importContentType, importUrl, readHttpError } from './transfer.ts';

describe('transfer helpers', () => {
  test('builds the import URL from the chosen options', () => {
    expect(importUrl({ mode: 'new' })).toBe('/api/workflows/import?mode=new');
    expect(importUrl({ mode: 'new', onConflict: 'rename', targetWorkflowId: 'x' })).toBe(
      '/api/workflows/import?mode=new&onConflict=rename',
    );
    expect(importUrl({ mode: 'replace', targetWorkflowId: 'abc' })).toBe(
      '/api/workflows/import?mode=replace&targetWorkflowId=abc',
    );
    expect(exportUrl('a b')).toBe('/api/workflows/a%20b/export');
  });

  test('sends ZIPs as bytes and anything else as JSON', () => {
    expect(importContentType({ name: 'flows.ZIP', type: '' })).toBe('application/zip');
    expect(importContentType({ name: 'x', type: 'application/x-zip-compressed' })).toBe('application/zip');
    expect(importContentType({ name: 'flow.json', type: 'application/json' })).toBe('application/json');
  });

  test('reads error bodies, with their paths', () => {
    const error = readHttpError(400, {
      error: {
        message: 'workflow.edges[0].target: unknown node "n9"',
        code: 'BAD_REQUEST',
        issues: [{ path: 'workflow.edges[0].target', message: 'unknown node "n9"' }, { bad: 1 }],
      },
    });
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.issues).toEqual([{ path: 'workflow.edges[0].target', message: 'unknown node "n9"' }]);
    expect(readHttpError(413, null).message).toMatch(/too large/);
    expect(readHttpError(502, 'nope').message).toBe('The server answered 502.');
  });
});
