/**
 * Search in the inbox (docs/search.md): the search box with field suggestions for the word being typed and
 * the query's error under it, "Save as view", and the saved views of the left rail (`/inbox/saved-<id>`).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { Bookmark, Pencil, Search, Trash2 } from 'lucide-react';
import { forwardRef, useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, ApiError, ok, type Schemas } from '../api/client';
import { useMe } from '../auth';
import { Dialog } from '../ui';

export type SavedView = Schemas['View'];
export const SAVED_PREFIX = 'saved-';

export function useSavedViews() {
  return useQuery({ queryKey: ['views'], queryFn: async () => (await ok(api.GET('/v1/views'))).data, staleTime: 60_000 });
}

/** GET /v1/search/fields has no response schema; read as docs/search.md documents it. */
type SearchFields = Schemas['SearchFields'];
/** What suggestions read of GET /v1/search/fields. */
type FieldList = { fields: Pick<SearchFields['fields'][number], 'name' | 'values'>[]; has: Pick<SearchFields['has'][number], 'name'>[] };
function useSearchFields() {
  return useQuery({ queryKey: ['search-fields'], queryFn: () => ok(api.GET('/v1/search/fields')), staleTime: Infinity });
}

/** Whole-value suggestions for the word at the end of `value`: field names, `has:` shorthands, a field's values. */
export function suggest(value: string, fields: FieldList | undefined): string[] {
  if (!fields) return [];
  const m = /^(.*?[\s(-]?)([^\s()-]*)$/.exec(value);
  const head = m?.[1] ?? '';
  const word = (m?.[2] ?? '').toLowerCase();
  if (!word) return [];
  const colon = word.indexOf(':');
  if (colon >= 0) {
    const name = word.slice(0, colon);
    const typed = word.slice(colon + 1);
    const values = name === 'has' ? fields.has.map((h) => h.name) : (fields.fields.find((f) => f.name === name)?.values ?? []);
    return values.filter((v) => v.startsWith(typed) && v !== typed).map((v) => `${head}${name}:${v}`);
  }
  return [...fields.fields.map((f) => f.name), 'has']
    .filter((n) => n.startsWith(word))
    .slice(0, 12)
    .map((n) => `${head}${n}:`);
}

/** The search box: Enter runs the query (`onSearch`); the API's invalid_query message shows under it. */
export const SearchBox = forwardRef<HTMLInputElement, { value: string; error?: string; onSearch: (q: string) => void }>(function SearchBox({ value, error, onSearch }, ref) {
  const [text, setText] = useState(value);
  const [saving, setSaving] = useState(false);
  const fields = useSearchFields();
  useEffect(() => setText(value), [value]);
  const options = useMemo(() => suggest(text, fields.data), [text, fields.data]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSearch(text.trim());
  };
  return (
    <form className="search-box" role="search" onSubmit={submit}>
      <div className="search-row">
        <Search size={16} className="search-icon" aria-hidden="true" />
        <input
          ref={ref}
          type="search"
          aria-label="Search conversations"
          placeholder="Search (Ctrl+K)"
          list="search-suggestions"
          autoComplete="off"
          spellCheck={false}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && text) {
              e.preventDefault();
              setText('');
              onSearch('');
            }
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'search-error' : undefined}
        />
        <datalist id="search-suggestions">
          {options.map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
        {value && !error && (
          <button type="button" className="icon-btn" aria-label="Save as view" title="Save as view" onClick={() => setSaving(true)}>
            <Bookmark size={17} />
          </button>
        )}
      </div>
      {error && (
        <p id="search-error" className="form-error" role="alert">
          {error}
        </p>
      )}
      {saving && <ViewForm query={value} onClose={() => setSaving(false)} />}
    </form>
  );
});

/** "Save as view" for a query, or, given a view, its edit form (name, query, shared): one dialog for both. */
function ViewForm({ query: initialQuery, view, onClose }: { query: string; view?: SavedView; onClose: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState(view?.name ?? '');
  const [query, setQuery] = useState(view?.query ?? initialQuery);
  const [shared, setShared] = useState(view?.shared ?? false);
  const save = useMutation({
    mutationFn: () =>
      view
        ? ok(api.PATCH('/v1/views/{id}', { params: { path: { id: view.id } }, body: { name: name.trim(), query, shared } }))
        : ok(api.POST('/v1/views', { body: { name: name.trim(), query, shared } })),
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: ['views'] });
      void qc.invalidateQueries({ queryKey: ['conversations'] });
      onClose();
      void navigate({ to: '/inbox/$view', params: { view: `${SAVED_PREFIX}${saved.id}` }, search: {} });
    },
  });
  const problem = save.error instanceof ApiError ? save.error : null;
  const nameError = problem?.field('name') ?? null;
  const queryError = problem?.field('query') ?? null;
  const otherError = save.error && !nameError && !queryError ? (problem?.message ?? save.error.message) : null;
  const submit = () => {
    if (name.trim() && query.trim()) save.mutate();
  };
  return (
    <Dialog title={view ? 'Edit view' : 'Save as view'} onClose={onClose}>
      {/* Not a <form>: "Save as view" opens inside the search form, whose submit runs the search. */}
      <div
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.target as HTMLElement).tagName === 'INPUT') {
            e.preventDefault();
            submit();
          }
        }}
      >
        {view ? (
          <label className="field">
            <span>Search</span>
            <input className="mono" value={query} maxLength={1000} onChange={(e) => setQuery(e.target.value)} aria-invalid={!!queryError || undefined} required />
            {queryError && <small className="form-error">{queryError}</small>}
          </label>
        ) : (
          <p className="muted">
            <code>{query}</code>
          </p>
        )}
        <label className="field">
          <span>Name</span>
          <input value={name} maxLength={100} onChange={(e) => setName(e.target.value)} aria-invalid={!!nameError || undefined} required />
          {nameError && <small className="form-error">{nameError}</small>}
        </label>
        <label className="check">
          <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} />
          <span>Shared with everyone in the organization</span>
        </label>
        {(otherError || (!view && queryError)) && (
          <p className="form-error" role="alert">
            {otherError ?? queryError}
          </p>
        )}
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn primary" disabled={!name.trim() || !query.trim() || save.isPending} onClick={submit}>
            {view ? 'Save changes' : 'Save view'}
          </button>
        </div>
      </div>
    </Dialog>
  );
}

/** The rail's "Views": each opens the conversation list filtered by its query; your own can be edited (renamed) and deleted. */
export function SavedViewsRail() {
  const views = useSavedViews();
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [deleting, setDeleting] = useState<SavedView | null>(null);
  const [editing, setEditing] = useState<SavedView | null>(null);
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE('/v1/views/{id}', { params: { path: { id } } })),
    onSuccess: (_, id) => {
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: ['views'] });
      if (window.location.pathname === `/inbox/${SAVED_PREFIX}${id}`) void navigate({ to: '/inbox/$view', params: { view: 'all' }, search: {} });
    },
  });
  if (!views.data?.length) return null;
  return (
    <div className="rail-section" role="group" aria-label="Views">
      <div className="rail-title">Views</div>
      {views.data.map((v) => (
        <div key={v.id} className="rail-view">
          <Link to="/inbox/$view" params={{ view: `${SAVED_PREFIX}${v.id}` }} search={{}} className="rail-link" activeProps={{ className: 'active', 'aria-current': 'page' }} activeOptions={{ includeSearch: false }} title={v.query}>
            <span className="rail-icon" aria-hidden="true">
              <Bookmark size={17} />
            </span>
            <span className="rail-text">{v.name}</span>
          </Link>
          {v.owner_user_id === me.user.id && (
            <span className="rail-view-actions">
              <button className="icon-btn" aria-label={`Edit view ${v.name}`} title="Rename or edit view" onClick={() => setEditing(v)}>
                <Pencil size={15} />
              </button>
              <button className="icon-btn" aria-label={`Delete view ${v.name}`} title="Delete view" onClick={() => setDeleting(v)}>
                <Trash2 size={15} />
              </button>
            </span>
          )}
        </div>
      ))}
      {editing && <ViewForm query={editing.query} view={editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <Dialog title="Delete view" onClose={() => setDeleting(null)}>
          <p>
            Delete “{deleting.name}”{deleting.shared ? ' for everyone in the organization' : ''}? The conversations stay as they are.
          </p>
          {remove.error && (
            <p className="form-error" role="alert">
              {remove.error.message}
            </p>
          )}
          <div className="actions">
            <button className="btn" onClick={() => setDeleting(null)}>
              Cancel
            </button>
            <button className="btn danger" disabled={remove.isPending} onClick={() => remove.mutate(deleting.id)}>
              Delete view
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
