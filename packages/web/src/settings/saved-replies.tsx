import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../api/client';
import { ErrorNote } from '../ui';
import { problemText } from './common';

/* ---------------------------------------------------------------- Saved replies */

export function SavedReplies() {
  const qc = useQueryClient();
  const replies = useQuery({ queryKey: ['saved-replies'], queryFn: async () => (await ok(api.GET('/v1/saved-replies'))).data });
  const [name, setName] = useState('');
  const [body, setBody] = useState('');
  const refresh = () => void qc.invalidateQueries({ queryKey: ['saved-replies'] });
  const create = useMutation({
    mutationFn: () => ok(api.POST('/v1/saved-replies', { body: { name, body } })),
    onSuccess: () => {
      setName('');
      setBody('');
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => ok(api.DELETE('/v1/saved-replies/{id}', { params: { path: { id } } })), onSettled: refresh });
  return (
    <div className="stack">
      <p className="muted">
        Shared answers for the whole team. Variables: <code>{'{Name}'}</code> (first name), <code>{'{Business}'}</code>, <code>{'{Agent}'}</code>, <code>{'{Number}'}</code>, <code>{'{attr.company}'}</code>; a fallback after a bar: <code>{'{Name|there}'}</code>.
      </p>
      <ul className="rows">
        {replies.data?.map((r) => (
          <li key={r.id} className="row">
            <span>
              <strong>{r.name}</strong>
              <br />
              <span className="muted">{r.body}</span>
            </span>
            <button className="btn small" onClick={() => remove.mutate(r.id)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
      <form className="card" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Opening hours" />
        </label>
        <label className="field">
          <span>Text</span>
          <textarea rows={3} value={body} onChange={(e) => setBody(e.target.value)} placeholder="Hi {Name|there}, we're open 8–6 Monday to Friday." />
        </label>
        <ErrorNote error={problemText(create.error)} />
        <div className="actions">
          <button className="btn primary" disabled={!name.trim() || !body.trim() || create.isPending}>
            Add saved reply
          </button>
        </div>
      </form>
    </div>
  );
}
