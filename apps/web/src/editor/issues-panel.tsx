/** "Problems": every validation issue of the draft; clicking one selects the node it concerns. */
import type { LocatedIssue } from './validation-issues.ts';

interface IssuesPanelProps {
  issues: LocatedIssue[];
  checking: boolean;
  nodeName: (id: string) => string | null;
  onFocus: (issue: LocatedIssue) => void;
}

export function IssuesPanel({ issues, checking, nodeName, onFocus }: IssuesPanelProps) {
  return (
    <section aria-labelledby="issues-heading" data-testid="issues-panel">
      <h2
        id="issues-heading"
        className="flex items-center gap-2 px-1 text-xs font-semibold tracking-wide text-slate-500 uppercase"
      >
        Problems
        {issues.length > 0 ? (
          <span className="rounded-full bg-rose-100 px-1.5 py-px text-[11px] text-rose-700 normal-case">
            {issues.length}
          </span>
        ) : null}
        {checking ? (
          <span className="ml-auto text-[11px] font-normal text-slate-400 normal-case">checking…</span>
        ) : null}
      </h2>
      {issues.length === 0 ? (
        <p className="mt-2 flex items-center gap-1.5 px-1 text-xs text-emerald-700" data-testid="no-issues">
          <svg viewBox="0 0 20 20" fill="currentColor" className="size-4" aria-hidden="true">
            <path
              fillRule="evenodd"
              d="M16.7 5.3a1 1 0 0 1 0 1.4l-8 8a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.4L8 12.6l7.3-7.3a1 1 0 0 1 1.4 0Z"
              clipRule="evenodd"
            />
          </svg>
          No problems found
        </p>
      ) : (
        <ul className="mt-2 space-y-1" data-testid="issues-list">
          {issues.map((issue) => {
            const where =
              issue.target?.kind === 'node'
                ? (nodeName(issue.target.id) ?? issue.target.id)
                : issue.target?.kind === 'edge'
                  ? 'Connection'
                  : null;
            return (
              <li key={`${issue.path}:${issue.message}`}>
                <button
                  type="button"
                  disabled={!issue.target}
                  onClick={() => onFocus(issue)}
                  className="w-full rounded-md px-2 py-1.5 text-left text-xs hover:bg-rose-50 disabled:hover:bg-transparent"
                >
                  {where ? <span className="block font-medium text-slate-800">{where}</span> : null}
                  <span className="block text-rose-700">
                    {issue.field ? <span className="font-mono">{issue.field}: </span> : null}
                    {issue.message}
                  </span>
                  {issue.target ? null : (
                    <span className="block font-mono text-[10px] text-slate-400">{issue.path}</span>
                  )}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
