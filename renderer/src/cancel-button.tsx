/** "Cancel" for one job: POST /foreman/jobs/<id>/cancel, then fold the answer into the live state. */
import { useState } from 'react';
import type { JobRow } from '../../shared/api.js';
import { cancelJob, errorText } from './api.js';
import { patchSnapshot } from './live-store.js';
import { upsertJob } from './snapshot-reducer.js';

export function CancelButton({ id, onCanceled }: { id: string; onCanceled?: (job: JobRow) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function cancel() {
    setBusy(true);
    setError(null);
    try {
      const { job } = await cancelJob(id);
      patchSnapshot((s) => upsertJob(s, job));
      onCanceled?.(job);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <span className="cancel">
      <button type="button" className="danger small" aria-label={`Cancel ${id}`} disabled={busy} onClick={() => void cancel()}>
        Cancel
      </button>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
