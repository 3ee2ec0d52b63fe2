import { Link } from 'react-router';
import { buttonClass } from '../ui/button.tsx';

export function NotFoundPage() {
  return (
    <div className="mx-auto max-w-md py-24 text-center">
      <p className="text-sm font-semibold text-indigo-600">404</p>
      <h1 className="mt-2 text-2xl font-semibold text-slate-900">Page not found</h1>
      <p className="mt-2 text-sm text-slate-600">There is nothing at this address.</p>
      <Link to="/" className={buttonClass('primary', 'md', 'mt-6')}>
        Back to workflows
      </Link>
    </div>
  );
}
