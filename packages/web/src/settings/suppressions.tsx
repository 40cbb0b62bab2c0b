import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../api/client';
import { dateTime, formatPhone } from '../format';
import { ErrorNote } from '../ui';
import { problemText } from './common';

/* ---------------------------------------------------------------- Suppressions */

export function Suppressions() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['suppressions', 'list'], queryFn: () => ok(api.GET('/v1/suppressions', { params: { query: { limit: 100 } } })) });
  const [phone, setPhone] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['suppressions'] });
  const add = useMutation({
    mutationFn: () => ok(api.POST('/v1/suppressions', { body: { phone } })),
    onSuccess: () => {
      setPhone('');
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (n: string) => ok(api.DELETE('/v1/suppressions/{number}', { params: { path: { number: n } } })), onSettled: refresh });
  const upload = useMutation({
    mutationFn: async () => {
      const csv = await file!.text();
      // The route reads the CSV as text (text/csv): the document declares no JSON body for it.
      return ok(api.POST('/v1/suppressions/import', { body: csv as never, bodySerializer: (b: unknown) => b as string, headers: { 'content-type': 'text/csv' } }));
    },
    onSuccess: refresh,
  });
  const report = upload.data;
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
            {report.rejected.length > 0 && (
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
                  {report.rejected.map((r) => (
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
          {(list.data?.data ?? []).map((s) => (
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
