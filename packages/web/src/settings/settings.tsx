/**
 * Settings (owners and admins; supervisors see queues). Loaded on demand. Each section is a small form
 * over one API resource; the server enforces the roles whatever the page shows.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useParams } from '@tanstack/react-router';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { countSegments } from '@textback/core';
import { api, ApiError, ok, type Untyped } from '../api/client';
import { atLeast, useMe } from '../auth';
import { dateTime, formatPhone } from '../format';
import { useUsers } from '../screens/inbox';
import { useNumbers, useTeams } from '../screens/shell';
import { Empty, ErrorNote, Loading } from '../ui';

type Section = { id: string; label: string; min: 'supervisor' | 'admin'; component: () => ReactNode };
const SECTIONS: Section[] = [
  { id: 'teams', label: 'Teams', min: 'admin', component: () => <Teams /> },
  { id: 'numbers', label: 'Numbers', min: 'admin', component: () => <Numbers /> },
  { id: 'text-back', label: 'Missed-call text-back', min: 'admin', component: () => <TextBack /> },
  { id: 'automations', label: 'Automations', min: 'admin', component: () => <Automations /> },
  { id: 'saved-replies', label: 'Saved replies', min: 'admin', component: () => <SavedReplies /> },
  { id: 'hours', label: 'Business hours', min: 'admin', component: () => <BusinessHours /> },
  { id: 'compliance', label: 'Compliance', min: 'admin', component: () => <Compliance /> },
  { id: 'suppressions', label: 'Do-not-contact list', min: 'admin', component: () => <Suppressions /> },
  { id: 'queues', label: 'SMS queues', min: 'supervisor', component: () => <Queues /> },
  { id: 'carriers', label: 'Carrier accounts', min: 'admin', component: () => <Carriers /> },
  { id: 'users', label: 'Users', min: 'admin', component: () => <Users /> },
  { id: 'api-keys', label: 'API keys', min: 'admin', component: () => <ApiKeys /> },
];

export function Settings() {
  const me = useMe();
  if (!atLeast(me.user.role, 'supervisor')) return <Forbidden />;
  return (
    <div className="settings">
      <nav className="settings-nav" aria-label="Settings">
        <h1>Settings</h1>
        {SECTIONS.filter((s) => atLeast(me.user.role, s.min)).map((s) => (
          <Link key={s.id} to="/settings/$section" params={{ section: s.id }} className="settings-link" activeProps={{ className: 'active', 'aria-current': 'page' }}>
            {s.label}
          </Link>
        ))}
      </nav>
      <div className="settings-body">
        <Outlet />
      </div>
    </div>
  );
}

function Forbidden() {
  return (
    <div className="page">
      <Empty title="Settings are for owners and admins">Ask an owner or admin of your organization if something needs changing.</Empty>
    </div>
  );
}

export function SettingsSection() {
  const { section } = useParams({ from: '/shell/settings/$section' });
  const me = useMe();
  const s = SECTIONS.find((x) => x.id === section);
  if (!s) return <Empty title="No such settings page" />;
  if (!atLeast(me.user.role, s.min)) return <Forbidden />;
  return (
    <section className="page" aria-labelledby="section-title">
      <h2 id="section-title" className="section-title">
        {s.label}
      </h2>
      {s.component()}
    </section>
  );
}

function problemText(e: unknown): string | null {
  if (!e) return null;
  if (e instanceof ApiError) return e.problem.errors?.length ? e.problem.errors.map((x) => `${x.field}: ${x.message}`).join('; ') : e.message;
  return e instanceof Error ? e.message : String(e);
}
function Saved({ show }: { show: boolean }) {
  return show ? (
    <span className="saved" role="status">
      Saved
    </span>
  ) : null;
}

/* ---------------------------------------------------------------- Teams */

function Teams() {
  const teams = useQuery({ queryKey: ['teams', 'full'], queryFn: async () => (await ok(api.GET('/v1/teams'))).data as Untyped[] });
  if (teams.isPending) return <Loading />;
  return (
    <div className="stack">
      <p className="muted">Who answers which number, and what a lead gets when nobody on the team is free.</p>
      {(teams.data ?? []).map((t) => (
        <TeamCard key={t.id} id={t.id} />
      ))}
      <NewTeam />
    </div>
  );
}

function TeamCard({ id }: { id: string }) {
  const qc = useQueryClient();
  const team = useQuery({ queryKey: ['teams', id], queryFn: () => ok(api.GET('/v1/teams/{id}', { params: { path: { id } } })) });
  const [enabled, setEnabled] = useState(false);
  const [text, setText] = useState('');
  const [timeout, setTimeoutS] = useState(30);
  const [name, setName] = useState('');
  useEffect(() => {
    if (!team.data) return;
    setEnabled(!!team.data.settings?.sms_if_unavailable);
    setText(team.data.settings?.unavailable_text ?? '');
    setTimeoutS(team.data.settings?.ring_timeout_seconds ?? 30);
    setName(team.data.name);
  }, [team.data]);
  const save = useMutation({
    mutationFn: () => ok(api.PATCH('/v1/teams/{id}', { params: { path: { id } }, body: { name, settings: { sms_if_unavailable: enabled, unavailable_text: text, ring_timeout_seconds: timeout } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['teams'] }),
  });
  if (!team.data) return <Loading />;
  const t = team.data;
  const seg = countSegments(text);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form className="card" onSubmit={submit} aria-label={`Team ${t.name}`}>
      <div className="card-head">
        <label className="field inline grow">
          <span>Team name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      </div>
      <h3>Members</h3>
      {(t.members ?? []).length === 0 ? (
        <p className="muted">No members yet.</p>
      ) : (
        <ul className="members">
          {(t.members as Untyped[]).map((m) => (
            <li key={m.user_id}>
              <span className={`status-dot ${m.effective_status ?? m.status}`} aria-hidden="true" />
              {m.name} <span className="muted">· {m.effective_status ?? m.status}</span>
            </li>
          ))}
        </ul>
      )}
      <div className="toggle-row">
        <label className="switch">
          <input type="checkbox" role="switch" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          <span className="switch-track" aria-hidden="true" />
          <span>Send SMS If Team Unavailable</span>
        </label>
        <p className="muted small">When a new lead arrives and no one on this team is online (or nobody picks up in time), Textback texts them this:</p>
      </div>
      <label className="field">
        <span>Message</span>
        <textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} disabled={!enabled} aria-describedby={`seg-${id}`} />
        <small id={`seg-${id}`}>
          {[...text].length} characters · {seg.segments} {seg.segments === 1 ? 'segment' : 'segments'} · {seg.encoding}
        </small>
      </label>
      <label className="field narrow">
        <span>Ring timeout (seconds)</span>
        <input type="number" min={5} max={300} value={timeout} onChange={(e) => setTimeoutS(Number(e.target.value))} />
        <small>How long agents’ phones ring for a new lead before the text goes out.</small>
      </label>
      <p className="form-error" role={save.error ? 'alert' : undefined}>
        {problemText(save.error)}
      </p>
      <div className="actions">
        <Saved show={save.isSuccess} />
        <button className="btn primary" disabled={save.isPending}>
          Save
        </button>
      </div>
    </form>
  );
}

function NewTeam() {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => ok(api.POST('/v1/teams', { body: { name } })),
    onSuccess: () => {
      setName('');
      void qc.invalidateQueries({ queryKey: ['teams'] });
    },
  });
  return (
    <form className="inline-form" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
      <label className="field inline grow">
        <span>New team</span>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Service" />
      </label>
      <button className="btn" disabled={!name.trim() || create.isPending}>
        Add team
      </button>
      <ErrorNote error={problemText(create.error)} />
    </form>
  );
}

/* ---------------------------------------------------------------- Numbers */

function Numbers() {
  const numbers = useNumbers();
  const teams = useTeams();
  return (
    <div className="stack">
      <p className="muted">Each business number belongs to a team; its texts can be forwarded to that team’s agents.</p>
      <table className="table">
        <thead>
          <tr>
            <th>Number</th>
            <th>Name</th>
            <th>Carrier</th>
            <th>Team</th>
            <th>Forward texts</th>
          </tr>
        </thead>
        <tbody>
          {numbers.data?.map((n) => (
            <NumberRow key={n.id} n={n} teams={teams.data ?? []} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NumberRow({ n, teams }: { n: { id: string; e164: string; name: string | null; carrier: string }; teams: { id: string; name: string }[] }) {
  const qc = useQueryClient();
  const routing = useQuery({ queryKey: ['routing', n.id], queryFn: () => ok(api.GET('/v1/numbers/{id}/routing', { params: { path: { id: n.id } } })) });
  const patch = useMutation({
    mutationFn: (body: Untyped) => ok(api.PATCH('/v1/numbers/{id}/routing', { params: { path: { id: n.id } }, body })),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: ['routing', n.id] });
      void qc.invalidateQueries({ queryKey: ['numbers'] });
    },
  });
  const r = routing.data;
  return (
    <tr>
      <td>{formatPhone(n.e164)}</td>
      <td>{n.name ?? '—'}</td>
      <td>{n.carrier}</td>
      <td>
        <select aria-label={`Team of ${formatPhone(n.e164)}`} value={r?.team_id ?? ''} onChange={(e) => patch.mutate({ team_id: e.target.value || null })}>
          <option value="">No team</option>
          {teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </td>
      <td>
        <select aria-label={`Forwarding of ${formatPhone(n.e164)}`} value={String(r?.forward_texts ?? 'off')} onChange={(e) => patch.mutate({ forward_texts: e.target.value })}>
          <option value="off">Off</option>
          <option value="all">To all agents</option>
          <option value="online">To online agents</option>
        </select>
        {patch.error && <span className="form-error"> {problemText(patch.error)}</span>}
      </td>
    </tr>
  );
}

/* ---------------------------------------------------------------- Missed-call text-back & automations */

function useAutomations() {
  return useQuery({ queryKey: ['automations'], queryFn: async () => (await ok(api.GET('/v1/automations'))).data as Untyped[] });
}

function TextBack() {
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

function Automations() {
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

/* ---------------------------------------------------------------- Saved replies */

function SavedReplies() {
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

/* ---------------------------------------------------------------- Business hours */

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
function BusinessHours() {
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

/* ---------------------------------------------------------------- Compliance */

function Compliance() {
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

/* ---------------------------------------------------------------- Suppressions */

function Suppressions() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['suppressions', 'list'], queryFn: () => ok(api.GET('/v1/suppressions', { params: { query: { limit: 100 } as Untyped } })) });
  const [phone, setPhone] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['suppressions'] });
  const add = useMutation({
    mutationFn: () => ok(api.POST('/v1/suppressions', { body: { phone } as Untyped })),
    onSuccess: () => {
      setPhone('');
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (n: string) => ok(api.DELETE('/v1/suppressions/{number}', { params: { path: { number: n } } })), onSettled: refresh });
  const upload = useMutation({
    mutationFn: async () => {
      const csv = await file!.text();
      return ok(api.POST('/v1/suppressions/import', { body: csv as Untyped, bodySerializer: (b: unknown) => b as string, headers: { 'content-type': 'text/csv' } }));
    },
    onSuccess: refresh,
  });
  const report = upload.data as Untyped;
  return (
    <div className="stack">
      <p className="muted">Numbers on this list are never texted, whatever sends to them.</p>
      <form className="card" onSubmit={(e) => (e.preventDefault(), upload.mutate())}>
        <h3>Upload a CSV</h3>
        <label className="field">
          <span>CSV file (a phone column, optionally a reason column)</span>
          <input type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <div className="actions">
          <button className="btn primary" disabled={!file || upload.isPending}>
            {upload.isPending ? 'Uploading…' : 'Upload'}
          </button>
        </div>
        <ErrorNote error={problemText(upload.error)} />
        {report && (
          <div className="report" role="status" aria-label="Import report">
            <p>
              <strong>{report.imported}</strong> added, <strong>{report.already_suppressed}</strong> already on the list, <strong>{report.rejected_count}</strong> rejected (of {report.lines} lines).
            </p>
            {report.rejected?.length > 0 && (
              <table className="table">
                <caption>Rejected lines</caption>
                <thead>
                  <tr>
                    <th>Line</th>
                    <th>Value</th>
                    <th>Why</th>
                  </tr>
                </thead>
                <tbody>
                  {(report.rejected as Untyped[]).map((r) => (
                    <tr key={r.line}>
                      <td>{r.line}</td>
                      <td>{r.value}</td>
                      <td>{r.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        )}
      </form>
      <form className="inline-form" onSubmit={(e) => (e.preventDefault(), add.mutate())}>
        <label className="field inline grow">
          <span>Add one number</span>
          <input value={phone} onChange={(e) => setPhone(e.target.value)} inputMode="tel" placeholder="+1 415 555 0123" />
        </label>
        <button className="btn" disabled={!phone.trim() || add.isPending}>
          Add
        </button>
      </form>
      <ErrorNote error={problemText(add.error)} />
      <p>
        <a href="/v1/suppressions/export" download>
          Download the list (CSV)
        </a>{' '}
        · <a href="/v1/consent/export" download>Download the consent ledger (CSV)</a>
      </p>
      <table className="table">
        <thead>
          <tr>
            <th>Number</th>
            <th>Reason</th>
            <th>Added</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {((list.data as Untyped)?.data ?? []).map((s: Untyped) => (
            <tr key={s.phone}>
              <td>{formatPhone(s.phone)}</td>
              <td>{s.reason ?? '—'}</td>
              <td>{dateTime(s.created_at)}</td>
              <td>
                <button className="btn small" onClick={() => remove.mutate(s.phone)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/* ---------------------------------------------------------------- Queues */

function Queues() {
  const qc = useQueryClient();
  const queues = useQuery({ queryKey: ['queues'], queryFn: async () => (await ok(api.GET('/v1/queues'))).data as Untyped[] });
  const numbers = useNumbers();
  const [form, setForm] = useState({ name: '', initiation_keyword: 'CHAT', termination_keyword: 'END', number: '' });
  const create = useMutation({
    mutationFn: () =>
      ok(api.POST('/v1/queues', { body: { name: form.name, initiation_keyword: form.initiation_keyword, termination_keyword: form.termination_keyword, numbers: [form.number || numbers.data?.[0]?.e164] } as Untyped })),
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
            {['initiation_message', 'initiation_needed_message', 'termination_message', 'no_agents_message'].map((k) => (q[k] ? <Fact key={k} k={k.replace(/_/g, ' ')} v={q[k]} /> : null))}
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

/* ---------------------------------------------------------------- Carriers, users, API keys */

function Carriers() {
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

function Users() {
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

function ApiKeys() {
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
