import type { LiveMode } from './useSeatStream.ts';

export function LiveBadge({ mode }: { mode: LiveMode }) {
  const text = mode === 'live' ? 'Live' : mode === 'polling' ? 'Updating every 10 s' : 'Connecting…';
  return (
    <p className={`live-badge live-badge--${mode}`} title={mode === 'live' ? 'Other people’s seat changes appear as they happen' : undefined}>
      <span className="live-dot" aria-hidden="true" />
      {text}
    </p>
  );
}
