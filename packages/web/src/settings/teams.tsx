import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { countSegments } from '@textback/core';
import { api, ok } from '../api/client';
import { ErrorNote, Loading } from '../ui';
import { problemText, Saved } from './common';

/* ---------------------------------------------------------------- Teams */

export function Teams() {
  const teams = useQuery({ queryKey: ['teams', 'full'], queryFn: async () => (await ok(api.GET('/v1/teams'))).data });
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
          {t.members.map((m) => (
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
