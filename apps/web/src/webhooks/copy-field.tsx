/** A labelled value (a URL, a secret, a `curl` command) with a button that copies it. */
import { useEffect, useState } from 'react';

export function CopyField({
  label,
  value,
  testId,
  multiline = false,
}: {
  label: string;
  value: string;
  testId: string;
  multiline?: boolean;
}) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = () => {
    void navigator.clipboard?.writeText(value).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <div className="mt-2">
      <div className="mb-1 flex items-center justify-between">
        <span className="text-xs font-medium text-slate-600">{label}</span>
        <button
          type="button"
          onClick={copy}
          className="text-xs text-indigo-600 hover:underline"
          data-testid={`${testId}-copy`}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      {multiline ? (
        <pre
          className="max-h-48 overflow-auto rounded-lg bg-slate-900 p-2.5 font-mono text-[11px] leading-5 whitespace-pre text-slate-100"
          data-testid={testId}
        >
          {value}
        </pre>
      ) : (
        <code
          className="block truncate rounded-md bg-slate-100 px-2 py-1.5 font-mono text-[11px] text-slate-800"
          title={value}
          data-testid={testId}
        >
          {value}
        </code>
      )}
    </div>
  );
}
