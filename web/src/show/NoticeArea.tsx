export type Notice = { tone: 'error' | 'info'; text: string } | null;

/**
 * Errors (role alert) and news (role status) in regions that are always
 * there, so screen readers hear each new sentence; `announcement` is said
 * without being shown.
 */
export function NoticeArea({ notice, announcement = '' }: { notice: Notice; announcement?: string }) {
  return (
    <div className="notice-area">
      <div role="alert" className={notice?.tone === 'error' ? 'notice notice--error' : 'notice-empty'}>
        {notice?.tone === 'error' ? notice.text : null}
      </div>
      <div role="status" className={notice?.tone === 'info' ? 'notice notice--info' : 'notice-empty'}>
        {notice?.tone === 'info' ? notice.text : null}
      </div>
      <div className="visually-hidden" aria-live="polite">
        {announcement}
      </div>
    </div>
  );
}
