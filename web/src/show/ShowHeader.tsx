import { formatLongDateTime } from '../format.ts';
import { PageHeading } from '../ui.tsx';
import { LiveBadge } from './LiveBadge.tsx';
import type { LiveMode } from './useSeatStream.ts';

type Props = { title: string; startsAt: string | undefined; timeZone: string; hall: string | undefined; venue: string | undefined; liveMode?: LiveMode };

/** The page's heading: the movie, when, where; and whether the map is live. */
export function ShowHeader({ title, startsAt, timeZone, hall, venue, liveMode }: Props) {
  return (
    <header className="show-header">
      <div>
        <PageHeading>{title}</PageHeading>
        {startsAt !== undefined && (
          <p className="show-meta">
            <time dateTime={startsAt}>{formatLongDateTime(startsAt, timeZone)}</time>
            <span aria-hidden="true"> · </span>
            {hall}
            <span aria-hidden="true"> · </span>
            {venue}
          </p>
        )}
      </div>
      {liveMode !== undefined && <LiveBadge mode={liveMode} />}
    </header>
  );
}
