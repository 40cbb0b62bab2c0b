/**
 * Carrier accounts, users and API keys (owners and admins). Credentials go in and never come out:
 * the page shows which are set, never their values. A new API key is shown once.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Check, Copy } from 'lucide-react';
import { useState } from 'react';
import { api, ok, type Schemas } from '../api/client';
import { useMe } from '../auth';
import { dateTime, formatPhone } from '../format';
import { useUsers } from '../screens/inbox';
import { useTeams } from '../screens/shell';
import { Dialog, ErrorNote, Loading } from '../ui';
import { problemText } from './common';
import './accounts.css';

/* ---------------------------------------------------------------- Carrier accounts */

type CarrierKind = 'twilio' | 'telnyx' | 'bandwidth';

/** What each carrier asks for, in the words of its own console (docs/carriers/). */
const CARRIER_FIELDS: Record<CarrierKind, { label: string; credentials: [string, string, string][]; settings: [string, string, string][] }> = {
  twilio: {
    label: 'Twilio',
    credentials: [
      ['account_sid', 'Account SID', 'Console → Account info (starts with AC)'],
      ['auth_token', 'Auth token', 'Console → Account info'],
    ],
    settings: [],
  },
  telnyx: {
    label: 'Telnyx',
    credentials: [['api_key', 'API key', 'Mission Control → API keys (starts with KEY)']],
    settings: [
      ['public_key', 'Public key', 'Mission Control → Keys & credentials: checks the webhooks’ signatures'],
      ['messaging_profile_id', 'Messaging profile ID', 'Messaging → the profile the numbers use'],
    ],
  },
  bandwidth: {
    label: 'Bandwidth',
    credentials: [
      ['api_user', 'API user', 'Dashboard → Account → API credentials'],
      ['api_password', 'API password', ''],
    ],
    settings: [
      ['account_id', 'Account ID', 'Dashboard → top right'],
      ['application_id', 'Messaging application ID', 'Applications → the messaging application'],
    ],
  },
};

export const carrierName = (kind: string) => (kind in CARRIER_FIELDS ? CARRIER_FIELDS[kind as CarrierKind].label : kind === 'sandbox' ? 'Sandbox' : kind);

/** "Twilio main (Twilio)", or just "Sandbox" when the name says it all. */
export const accountLabel = (a: { name: string; carrier: string }) => (a.name.toLowerCase().includes(carrierName(a.carrier).toLowerCase()) ? a.name : `${a.name} (${carrierName(a.carrier)})`);

export function useCarrierAccounts() {
  return useQuery({ queryKey: ['carrier-accounts'], queryFn: async () => (await ok(api.GET('/v1/carrier-accounts'))).data });
}

export function Carriers() {
  const accounts = useCarrierAccounts();
  const [adding, setAdding] = useState(false);
  if (accounts.isPending) return <Loading />;
  return (
    <div className="stack">
      <div className="card-head between">
        <p className="muted">
          Connect your own Twilio, Telnyx or Bandwidth account to text from real numbers. Credentials are encrypted and never shown again. The sandbox account plays the network
          for trying things out.
        </p>
        <button className="btn primary" onClick={() => setAdding(true)}>
          Add carrier account
        </button>
      </div>
      <ErrorNote error={problemText(accounts.error)} />
      {accounts.data?.map((a) => <AccountCard key={a.id} account={a} />)}
      {adding && <AddAccount onClose={() => setAdding(false)} />}
    </div>
  );
}

type Account = Schemas['CarrierAccount'];

function AccountCard({ account: a }: { account: Account }) {
  const [open, setOpen] = useState<null | 'webhooks' | 'rotate' | 'import' | 'delete'>(null);
  const sandbox = a.carrier === 'sandbox';
  const credentialNames = Object.keys(a.credentials ?? {});
  return (
    <article className="card account" aria-label={`${carrierName(a.carrier)} account ${a.name}`}>
      <div className="account-head">
        <div>
          <h3>{a.name}</h3>
          <p className="muted small">
            <span className={`chip carrier-${a.carrier}`}>{carrierName(a.carrier)}</span> · {a.numbers} number{a.numbers === 1 ? '' : 's'} · added {dateTime(a.created_at)}
            {!sandbox && credentialNames.length > 0 && <> · credentials set: {credentialNames.join(', ')}</>}
          </p>
        </div>
        <div className="account-actions">
          {!sandbox && (
            <>
              <button className="btn small" onClick={() => setOpen('webhooks')}>
                Webhook URLs
              </button>
              <button className="btn small" onClick={() => setOpen('import')}>
                Import numbers
              </button>
              <button className="btn small" onClick={() => setOpen('rotate')}>
                Rotate credentials
              </button>
              <button className="btn small danger" onClick={() => setOpen('delete')}>
                Remove
              </button>
            </>
          )}
          {sandbox && <span className="muted small">Fictional numbers; buy one under Numbers.</span>}
        </div>
      </div>
      {open === 'webhooks' && <WebhooksDialog account={a} onClose={() => setOpen(null)} />}
      {open === 'rotate' && <RotateDialog account={a} onClose={() => setOpen(null)} />}
      {open === 'import' && <ImportDialog account={a} onClose={() => setOpen(null)} />}
      {open === 'delete' && <DeleteAccountDialog account={a} onClose={() => setOpen(null)} />}
    </article>
  );
}

export function CopyField({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="copy-field">
      <span className="copy-label">{label}</span>
      <code>{value}</code>
      <button
        type="button"
        className="icon-btn"
        aria-label={`Copy ${label}`}
        onClick={() => {
          void navigator.clipboard?.writeText(value).then(() => setCopied(true));
        }}
      >
        {copied ? <Check size={16} /> : <Copy size={16} />}
      </button>
    </div>
  );
}

function WebhooksDialog({ account: a, onClose }: { account: Account; onClose: () => void }) {
  const qc = useQueryClient();
  const info = useQuery({ queryKey: ['carrier-webhooks', a.id], queryFn: () => ok(api.GET('/v1/carrier-accounts/{id}/webhooks', { params: { path: { id: a.id } } })) });
  const apply = useMutation({
    mutationFn: () => ok(api.POST('/v1/carrier-accounts/{id}/webhooks/configure', { params: { path: { id: a.id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['carrier-accounts'] }),
  });
  const w = info.data;
  const setup = apply.data?.webhook_setup;
  return (
    <Dialog title={`Webhooks of ${a.name}`} onClose={onClose} wide>
      {info.isPending && <Loading />}
      <ErrorNote error={problemText(info.error)} />
      {w && (
        <div className="stack">
          <p className="muted">Your carrier sends texts and calls to these addresses. Set them for you through {carrierName(a.carrier)}’s API, or paste them yourself:</p>
          <CopyField label="Incoming texts" value={w.webhooks.messages} />
          <CopyField label="Calls" value={w.webhooks.calls} />
          {w.webhooks.status && <CopyField label="Delivery status" value={w.webhooks.status} />}
          {w.steps?.length > 0 && (
            <ol className="steps">
              {w.steps.map((s: string) => (
                <li key={s}>{s}</li>
              ))}
            </ol>
          )}
          {setup && (
            <div className="card ok-note" role="status">
              {setup.configured.length > 0 ? <p>Set: {setup.configured.map((c) => `${c.target} (${c.field})`).join(', ')}</p> : <p>Nothing could be set through the API.</p>}
              {setup.manual.length > 0 && (
                <ul>
                  {setup.manual.map((m) => (
                    <li key={`${m.target}-${m.field}`}>
                      Paste on {m.target}, {m.field}: {m.why}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <ErrorNote error={problemText(apply.error)} />
          <div className="actions">
            <button className="btn primary" onClick={() => apply.mutate()} disabled={apply.isPending}>
              {apply.isPending ? 'Setting…' : 'Set them for me'}
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

function CredentialInputs({ kind, values, onChange, withSettings }: { kind: CarrierKind; values: Record<string, string>; onChange: (v: Record<string, string>) => void; withSettings: boolean }) {
  const fields = [...CARRIER_FIELDS[kind].credentials.map((f) => ({ f, secret: true })), ...(withSettings ? CARRIER_FIELDS[kind].settings.map((f) => ({ f, secret: false })) : [])];
  return (
    <>
      {fields.map(({ f: [name, label, hint], secret }) => (
        <label key={name} className="field">
          <span>{label}</span>
          <input
            name={name}
            type={secret ? 'password' : 'text'}
            autoComplete="off"
            spellCheck={false}
            value={values[name] ?? ''}
            onChange={(e) => onChange({ ...values, [name]: e.target.value })}
          />
          {hint && <small>{hint}</small>}
        </label>
      ))}
    </>
  );
}

function AddAccount({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [kind, setKind] = useState<CarrierKind>('twilio');
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  // The carrier must reach this server: the address in the browser, unless it is this machine itself.
  const [publicUrl, setPublicUrl] = useState(() => (/^https?:\/\/(localhost|127\.|\[::1\])/.test(globalThis.location?.origin ?? '') ? '' : (globalThis.location?.origin ?? '')));
  const [callback, setCallback] = useState<{ username: string; password: string } | null>(null);
  const create = useMutation({
    mutationFn: () => {
      const credentials = Object.fromEntries(CARRIER_FIELDS[kind].credentials.map(([k]) => [k, values[k] ?? '']).filter(([, v]) => v !== ''));
      const settings = Object.fromEntries(CARRIER_FIELDS[kind].settings.map(([k]) => [k, values[k] ?? '']).filter(([, v]) => v !== ''));
      return ok(api.POST('/v1/carrier-accounts', { body: { kind, ...(name.trim() ? { name: name.trim() } : {}), ...(publicUrl.trim() ? { public_base_url: publicUrl.trim() } : {}), credentials, settings } }));
    },
    onSuccess: (created) => {
      void qc.invalidateQueries({ queryKey: ['carrier-accounts'] });
      if (created?.callback_credentials) setCallback(created.callback_credentials);
      else onClose();
    },
  });
  if (callback) {
    return (
      <Dialog title="Account added" onClose={onClose}>
        <p>Set these callback credentials on your Bandwidth application now; they are not shown again:</p>
        <CopyField label="Callback user" value={callback.username} />
        <CopyField label="Callback password" value={callback.password} />
        <div className="actions">
          <button className="btn primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Add a carrier account" onClose={onClose}>
      <form onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <label className="field">
          <span>Carrier</span>
          <select value={kind} onChange={(e) => (setKind(e.target.value as CarrierKind), setValues({}))}>
            {(Object.keys(CARRIER_FIELDS) as CarrierKind[]).map((k) => (
              <option key={k} value={k}>
                {CARRIER_FIELDS[k].label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder={`e.g. ${CARRIER_FIELDS[kind].label} main`} />
        </label>
        <CredentialInputs kind={kind} values={values} onChange={setValues} withSettings />
        <label className="field">
          <span>This server’s public address</span>
          <input type="url" value={publicUrl} onChange={(e) => setPublicUrl(e.target.value)} placeholder="https://sms.example.com" />
          <small>Where {CARRIER_FIELDS[kind].label} sends texts and calls. Leave empty if the server has PUBLIC_BASE_URL set.</small>
        </label>
        <ErrorNote error={problemText(create.error)} />
        <div className="actions">
          <button type="button" className="btn ghost" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" disabled={create.isPending}>
            {create.isPending ? 'Checking…' : 'Add account'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RotateDialog({ account: a, onClose }: { account: Account; onClose: () => void }) {
  const qc = useQueryClient();
  const kind = a.carrier as CarrierKind;
  const [values, setValues] = useState<Record<string, string>>({});
  const rotate = useMutation({
    mutationFn: () =>
      ok(api.PATCH('/v1/carrier-accounts/{id}', { params: { path: { id: a.id } }, body: { credentials: Object.fromEntries(Object.entries(values).filter(([, v]) => v !== '')) } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['carrier-accounts'] });
      onClose();
    },
  });
  if (!(kind in CARRIER_FIELDS)) return null;
  return (
    <Dialog title={`New credentials for ${a.name}`} onClose={onClose}>
      <form onSubmit={(e) => (e.preventDefault(), rotate.mutate())}>
        <p className="muted">Fill in what changed; the others are kept. Texts keep flowing: the new credentials apply to the next request.</p>
        <CredentialInputs kind={kind} values={values} onChange={setValues} withSettings={false} />
        <ErrorNote error={problemText(rotate.error)} />
        <div className="actions">
          <button type="button" className="btn ghost" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" disabled={rotate.isPending || Object.values(values).every((v) => !v)}>
            Save credentials
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function ImportDialog({ account: a, onClose }: { account: Account; onClose: () => void }) {
  const qc = useQueryClient();
  const teams = useTeams();
  const [teamId, setTeamId] = useState('');
  const [configure, setConfigure] = useState(true);
  const run = useMutation({
    mutationFn: () =>
      ok(api.POST('/v1/carrier-accounts/{id}/import-numbers', { params: { path: { id: a.id } }, body: { ...(teamId ? { team_id: teamId } : {}), configure_webhooks: configure } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['numbers'] });
      void qc.invalidateQueries({ queryKey: ['carrier-accounts'] });
    },
  });
  const r = run.data;
  return (
    <Dialog title={`Import numbers from ${a.name}`} onClose={onClose}>
      {!r ? (
        <form onSubmit={(e) => (e.preventDefault(), run.mutate())}>
          <p className="muted">Every number of the account at {carrierName(a.carrier)} becomes a business number here.</p>
          <label className="field">
            <span>Team</span>
            <select value={teamId} onChange={(e) => setTeamId(e.target.value)}>
              <option value="">No team yet</option>
              {teams.data?.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={configure} onChange={(e) => setConfigure(e.target.checked)} /> Point their webhooks at this server
          </label>
          <ErrorNote error={problemText(run.error)} />
          <div className="actions">
            <button type="button" className="btn ghost" onClick={onClose}>
              Cancel
            </button>
            <button className="btn primary" disabled={run.isPending}>
              {run.isPending ? 'Importing…' : 'Import'}
            </button>
          </div>
        </form>
      ) : (
        <div className="stack" role="status">
          <p>
            {r.imported.length} number{r.imported.length === 1 ? '' : 's'} imported
            {r.imported.length > 0 && <>: {r.imported.map((n) => formatPhone(n.phone)).join(', ')}</>}.
          </p>
          {r.skipped.length > 0 && (
            <ul className="report">
              {r.skipped.map((s) => (
                <li key={s.phone}>
                  {formatPhone(s.phone)}: {s.reason}
                </li>
              ))}
            </ul>
          )}
          {(r.webhook_setup?.manual?.length ?? 0) > 0 && <p className="muted">Some webhooks must be pasted by hand: open “Webhook URLs”.</p>}
          <div className="actions">
            <button className="btn primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

function DeleteAccountDialog({ account: a, onClose }: { account: Account; onClose: () => void }) {
  const qc = useQueryClient();
  const remove = useMutation({
    mutationFn: () => ok(api.DELETE('/v1/carrier-accounts/{id}', { params: { path: { id: a.id }, query: { release_numbers: true } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['carrier-accounts'] });
      void qc.invalidateQueries({ queryKey: ['numbers'] });
      onClose();
    },
  });
  return (
    <Dialog title={`Remove ${a.name}?`} onClose={onClose}>
      <p>
        Its credentials are deleted here (not at {carrierName(a.carrier)}).{' '}
        {a.numbers > 0 ? `Its ${a.numbers} number${a.numbers === 1 ? '' : 's'} fall back to the sandbox: nothing is sent for real from them until they get another account.` : ''}
      </p>
      <ErrorNote error={problemText(remove.error)} />
      <div className="actions">
        <button className="btn ghost" onClick={onClose}>
          Cancel
        </button>
        <button className="btn danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
          Remove account
        </button>
      </div>
    </Dialog>
  );
}

/* ---------------------------------------------------------------- Users */

const ROLES: { id: Schemas['User']['role']; label: string; what: string }[] = [
  { id: 'agent', label: 'Agent', what: 'answers texts' },
  { id: 'supervisor', label: 'Supervisor', what: 'also teams, queues and reports' },
  { id: 'admin', label: 'Admin', what: 'also numbers, automations and settings' },
  { id: 'owner', label: 'Owner', what: 'everything, including other owners' },
];

export function Users() {
  const qc = useQueryClient();
  const users = useUsers();
  const me = useMe();
  const [inviting, setInviting] = useState(false);
  const [deactivating, setDeactivating] = useState<Schemas['User'] | null>(null);
  const patch = useMutation({
    mutationFn: ({ id, body }: { id: string; body: Record<string, unknown> }) => ok(api.PATCH('/v1/users/{id}', { params: { path: { id } }, body: body })),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['users'] }),
  });
  if (users.isPending) return <Loading />;
  const list = users.data ?? [];
  return (
    <div className="stack">
      <div className="card-head between">
        <p className="muted">Everyone who signs in. Deactivated people keep their name on what they did, but cannot sign in and receive nothing.</p>
        <button className="btn primary" onClick={() => setInviting(true)}>
          Add user
        </button>
      </div>
      <ErrorNote error={problemText(patch.error)} />
      <div className="table-scroll">
        <table className="table stack-sm">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((u) => {
              const self = u.id === me.user.id;
              return (
                <tr key={u.id} className={u.active === false ? 'inactive' : ''}>
                  <td data-label="Name">
                    {u.name}
                    {self && <span className="muted small"> (you)</span>}
                  </td>
                  <td data-label="Email">{u.email}</td>
                  <td data-label="Role">
                    <select aria-label={`Role of ${u.name}`} value={u.role} disabled={self} onChange={(e) => patch.mutate({ id: u.id, body: { role: e.target.value } })}>
                      {ROLES.map((r) => (
                        <option key={r.id} value={r.id}>
                          {r.label}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td data-label="State">{u.active === false ? <span className="chip">Deactivated</span> : u.has_password ? <span className="chip state-active">Active</span> : <span className="chip">No password yet</span>}</td>
                  <td className="right">
                    {!self &&
                      (u.active === false ? (
                        <button className="btn small" onClick={() => patch.mutate({ id: u.id, body: { active: true } })}>
                          Reactivate
                        </button>
                      ) : (
                        <button className="btn small danger" onClick={() => setDeactivating(u)}>
                          Deactivate
                        </button>
                      ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <dl className="role-legend">
        {ROLES.map((r) => (
          <div key={r.id}>
            <dt>{r.label}</dt>
            <dd>{r.what}</dd>
          </div>
        ))}
      </dl>
      {inviting && <AddUser onClose={() => setInviting(false)} />}
      {deactivating && (
        <Dialog title={`Deactivate ${deactivating.name}?`} onClose={() => setDeactivating(null)}>
          <p>
            They are signed out everywhere, their API keys stop working, and their open conversations go back to Unassigned. Their texts and notes stay. You can reactivate them
            later.
          </p>
          <div className="actions">
            <button className="btn ghost" onClick={() => setDeactivating(null)}>
              Cancel
            </button>
            <button className="btn danger" onClick={() => (patch.mutate({ id: deactivating.id, body: { active: false } }), setDeactivating(null))}>
              Deactivate
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}

function AddUser({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [form, setForm] = useState<{ email: string; name: string; role: Schemas['User']['role']; password: string }>({ email: '', name: '', role: 'agent', password: '' });
  const create = useMutation({
    mutationFn: () => ok(api.POST('/v1/users', { body: { email: form.email, name: form.name, role: form.role, ...(form.password ? { password: form.password } : {}) } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['users'] });
      onClose();
    },
  });
  return (
    <Dialog title="Add a user" onClose={onClose}>
      <form onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <label className="field">
          <span>Name</span>
          <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required />
        </label>
        <label className="field">
          <span>Email</span>
          <input type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} required />
        </label>
        <label className="field">
          <span>Role</span>
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Schemas['User']['role'] })}>
            {ROLES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}: {r.what}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>First password</span>
          <input type="password" autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
          <small>10 characters or more. Give it to them; they change it under their name, top right. Or leave it empty and set it later with `npx textback users create`.</small>
        </label>
        <ErrorNote error={problemText(create.error)} />
        <div className="actions">
          <button type="button" className="btn ghost" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" disabled={!form.email || !form.name || create.isPending}>
            Add user
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/* ---------------------------------------------------------------- API keys */

export function ApiKeys() {
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: async () => (await ok(api.GET('/v1/api-keys'))).data });
  const users = useUsers();
  const [name, setName] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Schemas['ApiKey'] | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['api-keys'] });
  const create = useMutation({
    mutationFn: () => ok(api.POST('/v1/api-keys', { body: { name: name.trim() } })),
    onSuccess: (k) => {
      setShown(k.key);
      setName('');
      refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => ok(api.DELETE('/v1/api-keys/{id}', { params: { path: { id } } })), onSettled: refresh });
  const owner = (id: string) => users.data?.find((u) => u.id === id)?.name ?? '—';
  return (
    <div className="stack">
      <p className="muted">Keys let scripts and other systems use the API with your role. A key is shown once, when it is created.</p>
      {shown && (
        <div className="card ok-note" role="status">
          <p>Copy this key now; it will not be shown again:</p>
          <CopyField label="API key" value={shown} />
        </div>
      )}
      <form className="inline-form" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <label className="field inline grow">
          <span>New key name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. CRM sync" />
        </label>
        <button className="btn primary" disabled={!name.trim() || create.isPending}>
          Create key
        </button>
      </form>
      <ErrorNote error={problemText(create.error ?? revoke.error)} />
      <div className="table-scroll">
        <table className="table stack-sm">
          <thead>
            <tr>
              <th>Name</th>
              <th>Starts with</th>
              <th>Person</th>
              <th>Created</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.data?.map((k) => (
              <tr key={k.id} className={k.revoked_at ? 'inactive' : ''}>
                <td data-label="Name">{k.name}</td>
                <td data-label="Starts with">
                  <code>{k.prefix}…</code>
                </td>
                <td data-label="Person">{owner(k.user_id)}</td>
                <td data-label="Created">{dateTime(k.created_at)}</td>
                <td data-label="Last used">{k.last_used_at ? dateTime(k.last_used_at) : 'Never'}</td>
                <td className="right">
                  {k.revoked_at ? (
                    <span className="chip">Revoked</span>
                  ) : (
                    <button className="btn small danger" onClick={() => setRevoking(k)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {revoking && (
        <Dialog title={`Revoke “${revoking.name}”?`} onClose={() => setRevoking(null)}>
          <p>Scripts using it stop working at once. This cannot be undone; make a new key instead.</p>
          <div className="actions">
            <button className="btn ghost" onClick={() => setRevoking(null)}>
              Cancel
            </button>
            <button className="btn danger" onClick={() => (revoke.mutate(revoking.id), setRevoking(null))}>
              Revoke key
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
