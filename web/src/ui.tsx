import { useEffect, type ReactNode } from 'react';

/** The page's one h1; focus moves here when the page changes (see App). */
export function PageHeading({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <h1 className={className} tabIndex={-1} data-page-heading>
      {children}
    </h1>
  );
}

export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Boxoffice`;
  }, [title]);
}

export function Spinner({ label }: { label: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function ErrorNotice({ children }: { children: ReactNode }) {
  return (
    <p className="notice notice--error" role="alert">
      {children}
    </p>
  );
}
