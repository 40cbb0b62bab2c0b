/**
 * "Email notifications" in the user menu: which new texts the signed-in person is emailed about (their
 * own conversations, their teams', unassigned ones; on every number or some), whether the newest text
 * goes in the subject, and, for owners and admins, failure emails. docs/notifications.md.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../api/client';
import { atLeast, useMe } from '../auth';
import { formatPhone } from '../format';
import { problemText } from '../settings/common';
import { Dialog, ErrorNote, Loading } from '../ui';
import '../settings/accounts.css';

type Preferences = NonNullable<Awaited<ReturnType<typeof load>>>;
const load = (id: string) => ok(api.GET('/v1/users/{id}/notifications', { params: { path: { id } } }));

export function NotificationSettings({ onClose }: { onClose: () => void }) {
  const me = useMe();
  const prefs = useQuery({ queryKey: ['notifications', me.user.id], queryFn: () => load(me.user.id) });
  return (
    <Dialog title="Email notifications" onClose={onClose}>
      {prefs.isPending ? <Loading /> : prefs.data ? <PreferencesForm initial={prefs.data} onClose={onClose} /> : <ErrorNote error={problemText(prefs.error)} />}
    </Dialog>
  );
}

function PreferencesForm({ initial, onClose }: { initial: Preferences; onClose: () => void }) {
  const me = useMe();
  const qc = useQueryClient();
  // Its own query (the shell's ['numbers'] holds another shape): the business numbers to pick from.
  const numbers = useQuery({ queryKey: ['numbers', 'notification-picker'], queryFn: async () => (await ok(api.GET('/v1/numbers'))).data });
  const [p, setP] = useState<Preferences>(initial);
  const newTexts = p.email_new_texts;
  const some = Array.isArray(newTexts.numbers);
  const chosen: string[] = Array.isArray(newTexts.numbers) ? newTexts.numbers : [];
  const setNewTexts = (patch: Partial<Preferences['email_new_texts']>) => setP({ ...p, email_new_texts: { ...newTexts, ...patch } });
  const save = useMutation({
    mutationFn: () => {
      const body = {
        email_new_texts: p.email_new_texts,
        include_body_in_subject: p.include_body_in_subject,
        ...(atLeast(me.user.role, 'admin') ? { email_failures: p.email_failures } : {}),
      };
      return ok(api.PUT('/v1/users/{id}/notifications', { params: { path: { id: me.user.id } }, body }));
    },
    onSuccess: (saved) => {
      qc.setQueryData(['notifications', me.user.id], saved);
      onClose();
    },
  });
  const anyNewTexts = newTexts.assigned_to_me || newTexts.my_teams || newTexts.unassigned;
  return (
    <form onSubmit={(e) => (e.preventDefault(), save.mutate())}>
      <p className="muted">A burst of texts from one person sends one email, and nothing is sent about a text you have already read here.</p>
      <fieldset className="field plain">
        <legend>Email me about new texts in conversations</legend>
        <label className="check">
          <input type="checkbox" checked={newTexts.assigned_to_me} onChange={(e) => setNewTexts({ assigned_to_me: e.target.checked })} /> assigned to me
        </label>
        <label className="check">
          <input type="checkbox" checked={newTexts.my_teams} onChange={(e) => setNewTexts({ my_teams: e.target.checked })} /> of my teams
        </label>
        <label className="check">
          <input type="checkbox" checked={newTexts.unassigned} onChange={(e) => setNewTexts({ unassigned: e.target.checked })} /> nobody has taken yet
        </label>
      </fieldset>
      {anyNewTexts && (
        <fieldset className="field plain">
          <legend>On</legend>
          <label className="check">
            <input type="radio" name="numbers" checked={!some} onChange={() => setNewTexts({ numbers: 'all' })} /> every business number
          </label>
          <label className="check">
            <input type="radio" name="numbers" checked={some} onChange={() => setNewTexts({ numbers: [] })} /> only these:
          </label>
          {some && (
            <div className="indent">
              {numbers.data?.map((n) => (
                <label key={n.id} className="check">
                  <input
                    type="checkbox"
                    checked={chosen.includes(n.id)}
                    onChange={(e) => setNewTexts({ numbers: e.target.checked ? [...chosen, n.id] : chosen.filter((x) => x !== n.id) })}
                  />{' '}
                  {n.name ? `${n.name}, ` : ''}
                  {formatPhone(n.phone)}
                </label>
              ))}
            </div>
          )}
          <label className="check">
            <input type="checkbox" checked={p.include_body_in_subject} onChange={(e) => setP({ ...p, include_body_in_subject: e.target.checked })} /> Put the newest text in the subject
            (mail servers log subjects: off by default)
          </label>
        </fieldset>
      )}
      {atLeast(me.user.role, 'admin') && (
        <label className="check">
          <input type="checkbox" checked={p.email_failures} onChange={(e) => setP({ ...p, email_failures: e.target.checked })} /> Email me when something fails: a carrier rejecting a
          number’s texts, many opt-outs on a number, a webhook endpoint disabled
        </label>
      )}
      <ErrorNote error={problemText(save.error)} />
      <div className="actions">
        <button type="button" className="btn ghost" onClick={onClose}>
          Cancel
        </button>
        <button className="btn primary" disabled={save.isPending || (some && chosen.length === 0 && anyNewTexts)}>
          Save
        </button>
      </div>
    </form>
  );
}
