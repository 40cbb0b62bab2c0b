import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../api/client';
import { formatPhone } from '../format';
import { useNumbers } from '../screens/shell';
import { ErrorNote } from '../ui';
import { problemText } from './common';

/* ---------------------------------------------------------------- Queues */

export function Queues() {
  const qc = useQueryClient();
  const queues = useQuery({ queryKey: ['queues'], queryFn: async () => (await ok(api.GET('/v1/queues'))).data });
  const numbers = useNumbers();
  const [form, setForm] = useState({ name: '', initiation_keyword: 'CHAT', termination_keyword: 'BYE', number: '' });
  const create = useMutation({
    mutationFn: () =>
      ok(api.POST('/v1/queues', { body: { name: form.name, initiation_keyword: form.initiation_keyword, termination_keyword: form.termination_keyword, numbers: [form.number || numbers.data?.[0]?.e164 || ''] } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['queues'] }),
  });
  return (
    <div className="stack">
      <p className="muted">A customer texts a keyword and the queue offers the conversation to its agents; the first to accept owns it until it ends.</p>
      {(queues.data ?? []).map((q) => (
        <div key={q.id} className="card">
          <h3>{q.name}</h3>
          <dl className="facts">
            <dt>Starts with</dt>
            <dd>{q.initiation_keyword}</dd>
            <dt>Ends with</dt>
            <dd>{q.termination_keyword}</dd>
            <dt>Strategy</dt>
            <dd>{q.strategy}</dd>
            {(['initiation_message', 'initiation_needed_message', 'termination_message', 'no_agents_message'] as const).map((k) => {
              const v = q[k];
              return v ? <Fact key={k} k={k.replace(/_/g, ' ')} v={v} /> : null;
            })}
          </dl>
        </div>
      ))}
      <form className="card" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <h3>New queue</h3>
        <label className="field">
          <span>Name</span>
          <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </label>
        <div className="inline-form">
          <label className="field inline">
            <span>Start keyword</span>
            <input value={form.initiation_keyword} onChange={(e) => setForm({ ...form, initiation_keyword: e.target.value })} />
          </label>
          <label className="field inline">
            <span>End keyword</span>
            <input value={form.termination_keyword} onChange={(e) => setForm({ ...form, termination_keyword: e.target.value })} />
          </label>
          <label className="field inline">
            <span>Number</span>
            <select value={form.number} onChange={(e) => setForm({ ...form, number: e.target.value })}>
              {numbers.data?.map((n) => (
                <option key={n.id} value={n.e164}>
                  {formatPhone(n.e164)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ErrorNote error={problemText(create.error)} />
        <div className="actions">
          <button className="btn primary" disabled={!form.name.trim() || create.isPending}>
            Create queue
          </button>
        </div>
      </form>
    </div>
  );
}

function Fact({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>{v}</dd>
    </>
  );
}
