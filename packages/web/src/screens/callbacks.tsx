/**
 * Callbacks: the calls the reply agent booked ("call me after 5"), soonest first, with who has them.
 * Each opens its conversation; Done, Cancel and "Assign to me" change it (PATCH /v1/callbacks/:id).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { PhoneCall } from 'lucide-react';
import { useState } from 'react';
import { api, ok } from '../api/client';
import { useMe } from '../auth';
import { dateTime, formatPhone } from '../format';
import { problemText } from '../settings/common';
import { Empty, ErrorNote, Loading } from '../ui';
import { useUsers } from './inbox';
import { useTeams } from './shell';

type State = 'open' | 'done' | 'cancelled';

/** "in 2 h", "in 3 days", "40 min ago": how far the due time is from now. */
function fromNow(iso: string, now = Date.now()): string {
  const minutes = Math.round((new Date(iso).getTime() - now) / 60_000);
  const abs = Math.abs(minutes);
  const span = abs < 60 ? `${abs} min` : abs < 48 * 60 ? `${Math.round(abs / 60)} h` : `${Math.round(abs / 1440)} days`;
  return minutes >= 0 ? `in ${span}` : `${span} ago`;
}

export function Callbacks() {
  const qc = useQueryClient();
  const me = useMe();
  const users = useUsers();
  const teams = useTeams();
  const [state, setState] = useState<State>('open');
  const list = useQuery({ queryKey: ['callbacks', state], queryFn: async () => (await ok(api.GET('/v1/callbacks', { params: { query: { state, limit: 200 } } }))).data, refetchInterval: 30_000 });
  const change = useMutation({
    mutationFn: ({ id, body }: { id: string; body: { state?: State; assigned_user_id?: string | null } }) => ok(api.PATCH('/v1/callbacks/{id}', { params: { path: { id } }, body })),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['callbacks'] }),
  });
  const who = (c: { assigned_user_id: string | null; assigned_team_id: string | null }) =>
    c.assigned_user_id ? (c.assigned_user_id === me.user.id ? 'You' : (users.data?.find((u) => u.id === c.assigned_user_id)?.name ?? 'Someone')) : c.assigned_team_id ? (teams.data?.find((t) => t.id === c.assigned_team_id)?.name ?? 'A team') : 'Nobody yet';
  return (
    <section className="page" aria-labelledby="callbacks-title">
      <h1 id="callbacks-title" className="section-title">
        Callbacks
      </h1>
      <p className="muted">Calls the reply agent booked when a contact asked to be called. Whoever has one is reminded when it is due.</p>
      <div className="tabs" role="tablist" aria-label="Which callbacks">
        {(['open', 'done', 'cancelled'] as State[]).map((s) => (
          <button key={s} role="tab" aria-selected={state === s} className={`btn small ${state === s ? 'on' : ''}`} onClick={() => setState(s)}>
            {s === 'open' ? 'To call' : s === 'done' ? 'Done' : 'Cancelled'}
          </button>
        ))}
      </div>
      <ErrorNote error={problemText(list.error ?? change.error)} />
      {list.isPending ? (
        <Loading />
      ) : (list.data ?? []).length === 0 ? (
        <Empty icon={<PhoneCall size={28} />} title={state === 'open' ? 'No callbacks to make' : 'None here'}>
          {state === 'open' ? 'When a contact texts “call me after 5”, the call to make appears here.' : ''}
        </Empty>
      ) : (
        <ul className="callbacks" aria-label="Callbacks">
          {list.data?.map((c) => {
            const late = state === 'open' && new Date(c.due_at).getTime() < Date.now();
            return (
              <li key={c.id} className={`card callback ${late ? 'late' : ''}`} aria-label={`Callback to ${formatPhone(c.phone)}`}>
                <div className="callback-main">
                  <a className="callback-phone" href={`tel:${c.phone}`}>
                    {formatPhone(c.phone)}
                  </a>
                  <span className={late ? 'bad-text' : ''}>
                    {dateTime(c.due_at)} ({fromNow(c.due_at)})
                  </span>
                  <span className="muted small">
                    {who(c)}
                    {c.note ? ` · ${c.note.replace(/\s*\bmsg_[0-9A-Za-z]+/g, '')}` : ''}
                  </span>
                </div>
                <div className="row-actions">
                  {c.conversation_id && (
                    <Link className="btn small ghost" to="/inbox/$view" params={{ view: 'all' }} search={{ c: c.conversation_id }}>
                      Open conversation
                    </Link>
                  )}
                  {state === 'open' && (
                    <>
                      {c.assigned_user_id !== me.user.id && (
                        <button className="btn small" onClick={() => change.mutate({ id: c.id, body: { assigned_user_id: me.user.id } })}>
                          Assign to me
                        </button>
                      )}
                      <button className="btn small primary" onClick={() => change.mutate({ id: c.id, body: { state: 'done' } })}>
                        Called: done
                      </button>
                      <button className="btn small danger" onClick={() => change.mutate({ id: c.id, body: { state: 'cancelled' } })}>
                        Cancel
                      </button>
                    </>
                  )}
                  {state !== 'open' && (
                    <button className="btn small" onClick={() => change.mutate({ id: c.id, body: { state: 'open' } })}>
                      Reopen
                    </button>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
