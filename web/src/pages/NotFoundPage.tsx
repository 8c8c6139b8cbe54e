import { Link } from '../router.tsx';
import { PageHeading, usePageTitle } from '../ui.tsx';

export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <div className="page">
      <div className="card empty-state">
        <PageHeading>Page not found</PageHeading>
        <p>There is nothing at this address.</p>
        <Link to="/" className="button button--primary">
          See what’s on
        </Link>
      </div>
    </div>
  );
}
