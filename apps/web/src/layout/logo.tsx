export function Logo({ className = 'size-7' }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true">
      <rect width="32" height="32" rx="8" fill="#4f46e5" />
      <path d="M10 11 16 22 22 11" stroke="#fff" strokeWidth="1.6" fill="none" />
      <circle cx="10" cy="11" r="3.5" fill="#fff" />
      <circle cx="22" cy="11" r="3.5" fill="#c7d2fe" />
      <circle cx="16" cy="22" r="3.5" fill="#fff" />
    </svg>
  );
}
