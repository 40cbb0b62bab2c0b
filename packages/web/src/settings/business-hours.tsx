import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, ok, type Untyped } from '../api/client';
import { ErrorNote, Loading } from '../ui';
import { problemText, Saved } from './common';

/* ---------------------------------------------------------------- Business hours */

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export function BusinessHours() {
  const qc = useQueryClient();
  const org = useQuery({ queryKey: ['organization'], queryFn: () => ok(api.GET('/v1/organization')) });
  const [zone, setZone] = useState('');
  const [raw, setRaw] = useState('');
  useEffect(() => {
    if (!org.data) return;
    setZone(org.data.time_zone ?? '');
    setRaw(JSON.stringify(org.data.business_hours ?? {}, null, 2));
  }, [org.data]);
  const save = useMutation({
    mutationFn: () => ok(api.PATCH('/v1/organization', { body: { time_zone: zone, business_hours: JSON.parse(raw) } as Untyped })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['organization'] }),
  });
  if (!org.data) return <Loading />;
  let parseError: string | null = null;
  try {
    JSON.parse(raw);
  } catch (e) {
    parseError = (e as Error).message;
  }
  return (
    <form className="card" onSubmit={(e) => (e.preventDefault(), save.mutate())}>
      <label className="field narrow">
        <span>Time zone of the business</span>
        <input value={zone} onChange={(e) => setZone(e.target.value)} placeholder="America/Chicago" />
      </label>
      <label className="field">
        <span>Weekly hours and holidays ({DAYS.join(', ')})</span>
        <textarea className="mono" rows={12} value={raw} onChange={(e) => setRaw(e.target.value)} aria-invalid={!!parseError || undefined} />
        {parseError && <small className="form-error">{parseError}</small>}
      </label>
      <ErrorNote error={problemText(save.error)} />
      <div className="actions">
        <Saved show={save.isSuccess} />
        <button className="btn primary" disabled={!!parseError || save.isPending}>
          Save
        </button>
      </div>
    </form>
  );
}
