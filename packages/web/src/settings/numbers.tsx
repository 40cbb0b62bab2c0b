import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok, type Untyped } from '../api/client';
import { formatPhone } from '../format';
import { useNumbers, useTeams } from '../screens/shell';
import { problemText } from './common';

/* ---------------------------------------------------------------- Numbers */

export function Numbers() {
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
