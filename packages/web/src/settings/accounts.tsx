import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, type Untyped } from '../api/client';
import { dateTime } from '../format';
import { useUsers } from '../screens/inbox';
import { Empty, ErrorNote, Loading } from '../ui';
import { problemText } from './common';

/* ---------------------------------------------------------------- Carriers, users, API keys */

export function Carriers() {
  const accounts = useQuery({ queryKey: ['carrier-accounts'], queryFn: async () => (await ok(api.GET('/v1/carrier-accounts'))).data as Untyped[] });
  if (accounts.isPending) return <Loading />;
  return (
    <div className="stack">
      <p className="muted">Bring your own Twilio, Telnyx or Bandwidth account. Credentials are encrypted and never shown again. Until then the sandbox carrier plays the network.</p>
      {(accounts.data ?? []).length === 0 ? (
        <Empty title="No carrier accounts">Add one with <code>npx textback carriers add twilio</code>; a form here is coming.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Carrier</th>
              <th>Added</th>
            </tr>
          </thead>
          <tbody>
            {accounts.data?.map((a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td>{a.carrier ?? a.kind}</td>
                <td>{dateTime(a.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function Users() {
  const qc = useQueryClient();
  const users = useUsers();
  const [form, setForm] = useState({ email: '', name: '', role: 'agent' });
  const create = useMutation({
    mutationFn: () => ok(api.POST('/v1/users', { body: form as Untyped })),
    onSuccess: () => {
      setForm({ email: '', name: '', role: 'agent' });
      void qc.invalidateQueries({ queryKey: ['users'] });
    },
  });
  return (
    <div className="stack">
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
          </tr>
        </thead>
        <tbody>
          {users.data?.map((u) => (
            <tr key={u.id}>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>{u.role}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="card" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <h3>Add a user</h3>
        <div className="inline-form">
          <label className="field inline grow">
            <span>Name</span>
            <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </label>
          <label className="field inline grow">
            <span>Email</span>
            <input type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
          </label>
          <label className="field inline">
            <span>Role</span>
            <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
              <option value="agent">Agent</option>
              <option value="supervisor">Supervisor</option>
              <option value="admin">Admin</option>
              <option value="owner">Owner</option>
            </select>
          </label>
        </div>
        <p className="muted small">They set a password with <code>npx textback users create</code> or the password the server gives them.</p>
        <ErrorNote error={problemText(create.error)} />
        <div className="actions">
          <button className="btn primary" disabled={!form.email || !form.name || create.isPending}>
            Add user
          </button>
        </div>
      </form>
    </div>
  );
}

export function ApiKeys() {
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: async () => (await ok(api.GET('/v1/api-keys'))).data as Untyped[] });
  const [name, setName] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['api-keys'] });
  const create = useMutation({
    mutationFn: () => ok(api.POST('/v1/api-keys', { body: { name } as Untyped })),
    onSuccess: (k: Untyped) => {
      setShown(k.key ?? k.secret ?? null);
      setName('');
      refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => ok(api.DELETE('/v1/api-keys/{id}', { params: { path: { id } } })), onSettled: refresh });
  return (
    <div className="stack">
      <p className="muted">Keys let scripts and other systems use the API. A key is shown once, when it is created.</p>
      {shown && (
        <div className="card ok-note" role="status">
          <p>Copy this key now; it will not be shown again:</p>
          <code className="secret">{shown}</code>
        </div>
      )}
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Created</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.data?.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>{dateTime(k.created_at)}</td>
              <td>{k.revoked_at ? 'Revoked' : 'Active'}</td>
              <td>
                {!k.revoked_at && (
                  <button className="btn small danger" onClick={() => revoke.mutate(k.id)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="inline-form" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <label className="field inline grow">
          <span>New key name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. CRM sync" />
        </label>
        <button className="btn" disabled={!name.trim() || create.isPending}>
          Create key
        </button>
      </form>
      <ErrorNote error={problemText(create.error ?? revoke.error)} />
    </div>
  );
}
