import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../api/client';
import { dateTime } from '../format';
import { Empty, ErrorNote, Loading } from '../ui';
import { AutomationEditor } from './automation-editor';
import { newAutomationDocument, TRIGGER_CHOICES, TRIGGER_WORDS } from './automation-form';
import { problemText } from './common';

/* ---------------------------------------------------------------- Missed-call text-back & automations */

export function useAutomations() {
  return useQuery({ queryKey: ['automations'], queryFn: async () => (await ok(api.GET('/v1/automations'))).data });
}

export function Automations() {
  const automations = useAutomations();
  const [open, setOpen] = useState<string | null>(null);
  if (automations.isPending) return <Loading />;
  if (open) return <AutomationEditor id={open} onClose={() => setOpen(null)} />;
  return (
    <div className="stack">
      <p className="muted">Texts Textback sends by itself after a call, a lead or a text. Drafts never send.</p>
      {(automations.data ?? []).length === 0 ? (
        <Empty title="No automations yet">Start with Missed-call text-back, or create one below.</Empty>
      ) : (
        <table className="table automations-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Starts when</th>
              <th>State</th>
              <th className="hide-narrow">Updated</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {automations.data?.map((a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td>{TRIGGER_WORDS[a.trigger.type] ?? a.trigger.type}</td>
                <td>
                  <span className={`chip state-${a.state}`}>{a.state}</span>
                </td>
                <td className="hide-narrow">{dateTime(a.updated_at)}</td>
                <td>
                  <button className="btn small" onClick={() => setOpen(a.id)} aria-label={`Edit ${a.name}`}>
                    Edit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NewAutomation onCreated={setOpen} />
    </div>
  );
}

/** A new automation starts as a draft from a trigger (and the steps that trigger usually needs), then opens in the editor. */
function NewAutomation({ onCreated }: { onCreated: (id: string) => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [choice, setChoice] = useState(TRIGGER_CHOICES[0]!.id);
  const [after, setAfter] = useState('1d');
  const picked = TRIGGER_CHOICES.find((c) => c.id === choice) ?? TRIGGER_CHOICES[0]!;
  const create = useMutation({
    mutationFn: () => ok(api.POST('/v1/automations', { body: newAutomationDocument(picked, name, after) })),
    onSuccess: (a) => {
      void qc.invalidateQueries({ queryKey: ['automations'] });
      onCreated(a.id);
    },
  });
  return (
    <form className="card" aria-labelledby="new-automation-title" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
      <h3 id="new-automation-title">New automation</h3>
      <div className="inline-form">
        <label className="field inline grow">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder={picked.label} />
        </label>
        <label className="field inline">
          <span>Starts when</span>
          <select value={choice} onChange={(e) => setChoice(e.target.value)}>
            {TRIGGER_CHOICES.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        {picked.trigger.type === 'message.not_replied' && (
          <label className="field inline">
            <span>No reply after</span>
            <input value={after} onChange={(e) => setAfter(e.target.value)} size={6} />
          </label>
        )}
        <button className="btn primary" disabled={create.isPending}>
          Create draft
        </button>
      </div>
      <p className="muted small">It starts as a draft: it sends nothing until you set it to Active and save.</p>
      <ErrorNote error={problemText(create.error)} />
    </form>
  );
}
