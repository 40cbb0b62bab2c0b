import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, ok, type Untyped } from '../api/client';
import { ErrorNote, Loading } from '../ui';
import { problemText, Saved } from './common';

/* ---------------------------------------------------------------- Compliance */

export function Compliance() {
  const qc = useQueryClient();
  const settings = useQuery({ queryKey: ['compliance-settings'], queryFn: () => ok(api.GET('/v1/compliance/settings')) });
  const [form, setForm] = useState<Untyped>(null);
  useEffect(() => {
    if (settings.data) setForm(settings.data);
  }, [settings.data]);
  const save = useMutation({
    mutationFn: () => ok(api.PATCH('/v1/compliance/settings', { body: form })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['compliance-settings'] }),
  });
  if (!form) return <Loading />;
  const set = (k: string, v: unknown) => setForm((f: Untyped) => ({ ...f, [k]: v }));
  const text = (k: string, label: string, hint?: string) => (
    <label className="field">
      <span>{label}</span>
      <textarea rows={2} value={form[k] ?? ''} onChange={(e) => set(k, e.target.value || null)} />
      {hint && <small>{hint}</small>}
    </label>
  );
  return (
    <form className="card" onSubmit={(e) => (e.preventDefault(), save.mutate())}>
      <label className="check">
        <input type="checkbox" checked={!!form.quiet_hours} onChange={(e) => set('quiet_hours', e.target.checked)} /> Hold texts during quiet hours (9 PM – 8 AM in the contact’s time, stricter where state law says so)
      </label>
      <label className="check">
        <input type="checkbox" checked={!!form.quiet_hours_exempt_live_conversation} onChange={(e) => set('quiet_hours_exempt_live_conversation', e.target.checked)} /> Let replies in a live conversation go during quiet hours
      </label>
      <label className="check">
        <input type="checkbox" checked={!!form.automated_requires_consent} onChange={(e) => set('automated_requires_consent', e.target.checked)} /> Automated texts need recorded consent
      </label>
      <label className="field narrow">
        <span>Automated texts per contact per 24 hours</span>
        <input type="number" min={1} value={form.automated_cap_per_24h ?? ''} onChange={(e) => set('automated_cap_per_24h', e.target.value ? Number(e.target.value) : null)} placeholder="No cap" />
      </label>
      <label className="field narrow">
        <span>Landlines</span>
        <select value={form.landline_policy} onChange={(e) => set('landline_policy', e.target.value)}>
          <option value="block">Don’t text them</option>
          <option value="flag">Text, and flag them</option>
          <option value="allow">Text them</option>
        </select>
      </label>
      <label className="field narrow">
        <span>Allowed countries (two-letter codes, comma-separated)</span>
        <input value={(form.allowed_countries ?? []).join(', ')} onChange={(e) => set('allowed_countries', e.target.value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean))} />
      </label>
      {text('opt_out_language', 'Opt-out language added to the first automated text')}
      {text('help_text', 'Answer to HELP', 'Name the business, how to opt out, “Msg & data rates may apply” and a contact.')}
      {text('opt_out_text', 'Confirmation after STOP')}
      {text('opt_in_text', 'Confirmation after START')}
      <ErrorNote error={problemText(save.error)} />
      <div className="actions">
        <Saved show={save.isSuccess} />
        <button className="btn primary" disabled={save.isPending}>
          Save
        </button>
      </div>
    </form>
  );
}
