/**
 * The run input a webhook's sample payload would give through its mapping, recomputed a moment
 * after typing stops (the mapping itself runs on the server), and whether it matches the
 * workflow's input schema.
 */
import { useEffect, useState } from 'react';
import type { JsonSchema } from '../schemas/schema-text.ts';
import { useTRPCClient } from '../trpc.ts';
import { useDebouncedValue } from '../use-debounced-value.ts';
import { type MappingPreview, previewMapping } from './webhook-form.ts';

/** The run input the sample payload would give, recomputed a moment after typing stops. */
export function MappingPreviewView({
  mapping,
  payloadText,
  inputSchema,
}: {
  mapping: string;
  payloadText: string;
  inputSchema: JsonSchema | undefined;
}) {
  const client = useTRPCClient();
  const args = useDebouncedValue({ mapping, payloadText, inputSchema }, 250);
  const [preview, setPreview] = useState<MappingPreview | null>(null);
  useEffect(() => {
    let cancelled = false;
    const evaluate = async (source: string, payload: unknown) =>
      (await client.webhooks.previewMapping.mutate({ mapping: source, payload })).input;
    void previewMapping(args.mapping, args.payloadText, args.inputSchema, evaluate).then((result) => {
      if (!cancelled) setPreview(result);
    });
    return () => {
      cancelled = true;
    };
  }, [args, client]);

  return (
    <div data-testid="webhook-mapping-preview">
      <p className="mb-1.5 text-sm font-medium text-slate-700">Run input from this payload</p>
      {!preview ? (
        <p className="text-xs text-slate-400">Working…</p>
      ) : preview.state === 'payload-error' ? (
        <p className="text-xs text-rose-600">The sample payload is not JSON: {preview.message}</p>
      ) : preview.state === 'mapping-error' ? (
        <p className="text-xs text-rose-600" data-testid="webhook-mapping-error">
          The mapping fails: {preview.message}
        </p>
      ) : (
        <>
          <pre
            className="max-h-40 overflow-auto rounded-lg bg-slate-900 p-2.5 font-mono text-[11px] leading-5 whitespace-pre-wrap text-slate-100"
            data-testid="webhook-mapped-input"
          >
            {JSON.stringify(preview.input, null, 2)}
          </pre>
          {preview.issues.length > 0 ? (
            <ul className="mt-1.5 space-y-0.5 text-xs text-rose-700" data-testid="webhook-mapped-issues">
              {preview.issues.map((issue) => (
                <li key={`${issue.path}:${issue.message}`}>
                  <span className="font-mono">{issue.path}</span>: {issue.message}
                </li>
              ))}
              <li className="text-slate-500">Calls like this would be refused with 400.</li>
            </ul>
          ) : inputSchema ? (
            <p className="mt-1 text-xs text-emerald-700" data-testid="webhook-mapped-valid">
              ✓ Matches the workflow's input schema.
            </p>
          ) : null}
        </>
      )}
    </div>
  );
}
