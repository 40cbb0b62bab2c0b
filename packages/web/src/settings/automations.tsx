import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, type Untyped } from '../api/client';
import { dateTime } from '../format';
import { Empty, ErrorNote, Loading } from '../ui';
import { problemText } from './common';

/* ---------------------------------------------------------------- Missed-call text-back & automations */

function useAutomations() {
  return useQuery({ queryKey: ['automations'], queryFn: async () => (await ok(api.GET('/v1/automations'))).data as Untyped[] });
}

export function TextBack() {
  const qc = useQueryClient();
  const org = useQuery({ queryKey: ['organization'], queryFn: () => ok(api.GET('/v1/organization')) });
  const automations = useAutomations();
  const existing = automations.data?.find((a) => a.preset === 'missed-call-text-back' || a.trigger?.type === 'call.missed');
  const [business, setBusiness] = useState('');
  const [voicemail, setVoicemail] = useState('');
  const [followUp, setFollowUp] = useState('2h');
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST('/v1/automations/presets/missed-call-text-back', {
          body: { ...(business ? { business_name: business } : {}), state: 'active', ...(voicemail ? { voicemail_delay: voicemail } : {}), follow_up_after: followUp || false },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['automations'] }),
  });
  const setState = useMutation({
    mutationFn: (state: string) => ok(api.PATCH('/v1/automations/{id}', { params: { path: { id: existing.id } }, body: { state } as Untyped })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['automations'] }),
  });
  if (automations.isPending) return <Loading />;
  return (
    <div className="stack">
      <p className="muted">When someone calls and nobody answers, Textback texts them back from the number they called.</p>
      {existing ? (
        <div className="card">
          <h3>{existing.name}</h3>
          <p>
            State: <strong>{existing.state}</strong>
          </p>
          <AutomationSteps a={existing} />
          <div className="actions">
            {existing.state === 'active' ? (
              <button className="btn" onClick={() => setState.mutate('paused')}>
                Pause
              </button>
            ) : (
              <button className="btn primary" onClick={() => setState.mutate('active')}>
                Turn on
              </button>
            )}
          </div>
          <ErrorNote error={problemText(setState.error)} />
        </div>
      ) : (
        <form className="card" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
          <label className="field">
            <span>Business name in the text</span>
            <input value={business} onChange={(e) => setBusiness(e.target.value)} placeholder={org.data?.name} />
          </label>
          <label className="field narrow">
            <span>Text voicemail callers after (e.g. 20m; empty: don’t)</span>
            <input value={voicemail} onChange={(e) => setVoicemail(e.target.value)} />
          </label>
          <label className="field narrow">
            <span>Follow up if no reply after (e.g. 2h; empty: never)</span>
            <input value={followUp} onChange={(e) => setFollowUp(e.target.value)} />
          </label>
          <ErrorNote error={problemText(create.error)} />
          <div className="actions">
            <button className="btn primary" disabled={create.isPending}>
              Turn on missed-call text-back
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

function AutomationSteps({ a }: { a: Untyped }) {
  const steps: Untyped[] = a.steps ?? [];
  return (
    <ol className="steps">
      {steps.map((s, i) => (
        <li key={s.id ?? i}>
          <strong>{String(s.type ?? 'step').replace(/_/g, ' ')}</strong>{' '}
          <span className="muted">{s.text ?? s.body ?? s.delay ?? (s.variants ? `${s.variants.length} variants` : '')}</span>
        </li>
      ))}
    </ol>
  );
}

export function Automations() {
  const automations = useAutomations();
  const [open, setOpen] = useState<string | null>(null);
  if (automations.isPending) return <Loading />;
  return (
    <div className="stack">
      <p className="muted">Texts Textback sends by itself after a call, a lead or a text. Drafts never send.</p>
      {(automations.data ?? []).length === 0 ? (
        <Empty title="No automations yet">Start with Missed-call text-back.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Trigger</th>
              <th>State</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {automations.data?.map((a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td>{a.trigger?.type ?? '—'}</td>
                <td>
                  <span className={`chip state-${a.state}`}>{a.state}</span>
                </td>
                <td>{dateTime(a.updated_at)}</td>
                <td>
                  <button className="btn small" onClick={() => setOpen(open === a.id ? null : a.id)} aria-expanded={open === a.id}>
                    {open === a.id ? 'Hide' : 'Steps & dry run'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && <AutomationDetail id={open} />}
    </div>
  );
}

function AutomationDetail({ id }: { id: string }) {
  const a = useQuery({ queryKey: ['automations', id], queryFn: () => ok(api.GET('/v1/automations/{id}', { params: { path: { id } } })) });
  const [days, setDays] = useState(7);
  const dry = useMutation({ mutationFn: () => ok(api.POST('/v1/automations/{id}/dry-run', { params: { path: { id } }, body: { days } as Untyped })) });
  if (!a.data) return <Loading />;
  const result = dry.data as Untyped;
  return (
    <div className="card">
      <h3>{a.data.name}</h3>
      <AutomationSteps a={a.data} />
      <details>
        <summary>Raw JSON</summary>
        <pre className="code">{JSON.stringify(a.data, null, 2)}</pre>
      </details>
      <form className="inline-form" onSubmit={(e) => (e.preventDefault(), dry.mutate())}>
        <label className="field inline">
          <span>Replay the last (days)</span>
          <input type="number" min={1} max={90} value={days} onChange={(e) => setDays(Number(e.target.value))} />
        </label>
        <button className="btn">Dry run</button>
      </form>
      <ErrorNote error={problemText(dry.error)} />
      {result && <pre className="code">{JSON.stringify(result, null, 2).slice(0, 4000)}</pre>}
    </div>
  );
}
