/**
 * The inbox: conversation list (virtualized, cursor-paginated), the thread (the contact's timeline) with
 * the composer, and the contact panel. Keyboard: j/k, e, a, u, r, /, s or Ctrl+K (search), ?.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useVirtualizer } from '@tanstack/react-virtual';
import { AlertCircle, ArrowLeft, Keyboard, Check, CheckCheck, Clock, Inbox as InboxIcon, MailOpen, PanelRight } from 'lucide-react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, ok, type Schemas } from '../api/client';
import type { paths } from '../api/schema';
import { useMe } from '../auth';
import { formatPhone, initials, shortTime } from '../format';
import { Dialog, Empty, Loading } from '../ui';
import { ContactPanel } from './contact-panel';
import { SAVED_PREFIX, SearchBox, useSavedViews } from './search';
import { Thread } from './thread';
import { useTeams } from './shell';

type ListQuery = NonNullable<paths['/v1/conversations']['get']['parameters']['query']>;
type ConversationPatch = paths['/v1/conversations/{id}']['patch']['requestBody']['content']['application/json'];
export type ConversationItem = Schemas['Conversation'];

const VIEW_TITLES: Record<string, string> = { mine: 'Mine', unassigned: 'Unassigned', all: 'All open', done: 'Done', snoozed: 'Snoozed', failed: 'Failed texts', scheduled: 'Scheduled', 'opted-out': 'Opted out' };

function queryFor(view: string, number: string | undefined): ListQuery {
  const q: ListQuery = { limit: 50 };
  if (number) q.number = number;
  if (view === 'mine') Object.assign(q, { assigned: 'me', status: 'open' });
  else if (view === 'unassigned') Object.assign(q, { assigned: 'unassigned', status: 'open' });
  else if (view === 'all') q.status = 'open';
  else if (view === 'done') q.status = 'done';
  else if (view === 'snoozed') q.status = 'snoozed';
  else if (view === 'failed') q.has = 'failed';
  else if (view === 'scheduled') q.has = 'scheduled';
  else if (view === 'opted-out') q.has = 'opted_out';
  else if (view.startsWith('team-')) Object.assign(q, { team: view.slice(5), status: 'open' });
  return q;
}

/** The invalid_query message, as `at N: …` with N an offset in what was typed (`shift`: characters the app put before it). */
function searchError(error: ApiError, shift: number): string {
  const message = (error.field('query') ?? error.message).replace(/^query: /, '');
  return shift ? message.replace(/^at (\d+):/, (_, n: string) => `at ${Math.max(0, Number(n) - shift)}:`) : message;
}

export function useConversationActions() {
  const qc = useQueryClient();
  const me = useMe();
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['conversations'] });
    void qc.invalidateQueries({ queryKey: ['conversation'] });
  };
  const patch = useMutation({
    mutationFn: ({ id, body }: { id: string; body: ConversationPatch }) =>
      ok(api.PATCH('/v1/conversations/{id}', { params: { path: { id } }, body })),
    onSettled: refresh,
  });
  const unread = useMutation({
    mutationFn: (id: string) => ok(api.POST('/v1/conversations/{id}/unread', { params: { path: { id } } })),
    onSettled: refresh,
  });
  return {
    done: (id: string) => patch.mutate({ id, body: { status: 'done' } }),
    reopen: (id: string) => patch.mutate({ id, body: { status: 'open', snoozed_until: null } }),
    snooze: (id: string, until: string | null) => patch.mutate({ id, body: { snoozed_until: until } }),
    assignToMe: (id: string) => patch.mutate({ id, body: { assigned_user_id: me.user.id } }),
    assign: (id: string, userId: string | null) => patch.mutate({ id, body: { assigned_user_id: userId } }),
    assignTeam: (id: string, teamId: string | null) => patch.mutate({ id, body: { assigned_team_id: teamId } }),
    markUnread: (id: string) => unread.mutate(id),
    pending: patch.isPending || unread.isPending,
  };
}

export function useUsers() {
  return useQuery({ queryKey: ['users'], queryFn: async () => (await ok(api.GET('/v1/users'))).data, staleTime: 60_000 });
}

export function Inbox() {
  const { view } = useParams({ from: '/shell/inbox/$view' });
  const search = useSearch({ from: '/shell/inbox/$view' });
  const navigate = useNavigate();
  const teams = useTeams();
  const actions = useConversationActions();
  const [showContact, setShowContact] = useState(() => window.matchMedia('(min-width: 1440px)').matches);
  const [help, setHelp] = useState(false);

  // A saved view lists what its query finds; a search in the box narrows it (or replaces a built-in view's filter).
  const views = useSavedViews();
  const saved = view.startsWith(SAVED_PREFIX) ? views.data?.find((v) => `${SAVED_PREFIX}${v.id}` === view) : undefined;
  const searchText = search.q ?? '';
  const query = useMemo((): ListQuery => {
    // The typed query comes first, so an error's position is its own (less the opening parenthesis).
    const text = saved && searchText ? `(${searchText}) (${saved.query})` : (saved?.query ?? searchText);
    return text ? { limit: 50, query: text } : queryFor(view, search.number);
  }, [view, search.number, saved, searchText]);
  const searchBox = useRef<HTMLInputElement>(null);
  const list = useInfiniteQuery({
    enabled: !view.startsWith(SAVED_PREFIX) || !!saved,
    queryKey: ['conversations', query],
    queryFn: async ({ pageParam }) => ok(api.GET('/v1/conversations', { params: { query: { ...query, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: '' as string,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);
  const selected = search.c;
  const open = useCallback(
    (id: string | undefined) => void navigate({ to: '/inbox/$view', params: { view }, search: { ...(search.number ? { number: search.number } : {}), ...(search.q ? { q: search.q } : {}), ...(id ? { c: id } : {}) } }),
    [navigate, view, search.number, search.q],
  );
  const runSearch = (q: string) => void navigate({ to: '/inbox/$view', params: { view }, search: { ...(search.number ? { number: search.number } : {}), ...(q ? { q } : {}) } });
  const queryError = list.error instanceof ApiError && list.error.problem.code === 'invalid_query' ? searchError(list.error, saved && searchText ? 1 : 0) : undefined;

  // Keyboard shortcuts (not while typing in a field).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        searchBox.current?.focus();
        searchBox.current?.select();
        return;
      }
      if (e.metaKey || e.ctrlKey || e.altKey) return;
      if (t.closest('input, textarea, select, [contenteditable=true], dialog')) return;
      const index = items.findIndex((c) => c.id === selected);
      const key = e.key;
      if (key === 'j' || key === 'k') {
        const next = items[key === 'j' ? Math.min(items.length - 1, index + 1) : Math.max(0, index - 1)];
        if (next) open(next.id);
      } else if (key === 'e' && selected) {
        const c = items.find((x) => x.id === selected);
        if (c?.status === 'done') actions.reopen(selected);
        else actions.done(selected);
      } else if (key === 'a' && selected) actions.assignToMe(selected);
      else if (key === 'u' && selected) actions.markUnread(selected);
      else if (key === 'r' && selected) document.getElementById('composer-body')?.focus();
      else if (key === '/' && selected) window.dispatchEvent(new CustomEvent('textback:saved-replies'));
      else if (key === 's') searchBox.current?.focus();
      else if (key === '?') setHelp(true);
      else if (key === 'Escape' && selected) open(undefined);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [items, selected, open, actions]);

  const title = view.startsWith('team-')
    ? (teams.data?.find((t) => `team-${t.id}` === view)?.name ?? 'Team')
    : view.startsWith(SAVED_PREFIX)
      ? (saved?.name ?? (views.isPending ? 'View' : 'View not found'))
      : searchText
        ? 'Search results'
        : (VIEW_TITLES[view] ?? 'Inbox');

  return (
    <div className={`inbox ${selected ? 'has-thread' : ''} ${showContact ? 'with-contact' : ''}`}>
      <section className="list-pane" aria-label={`${title} conversations`}>
        <header className="pane-head">
          <h1>{title}</h1>
          <button className="icon-btn" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={() => setHelp(true)}>
            <Keyboard size={18} />
          </button>
        </header>
        <SearchBox ref={searchBox} value={searchText} error={queryError} onSearch={runSearch} />
        {view.startsWith(SAVED_PREFIX) && !views.isPending && !saved ? (
          <Empty icon={<InboxIcon size={28} />} title="This view is gone">
            It was deleted, or it is someone else's personal view.
          </Empty>
        ) : queryError ? null : list.isPending ? (
          <Loading label="Loading conversations…" />
        ) : list.isError ? (
          <p className="form-error" role="alert">
            {list.error.message}
          </p>
        ) : items.length === 0 && query.query ? (
          <Empty icon={<InboxIcon size={28} />} title="No matches">
            Nothing matches this search.
          </Empty>
        ) : items.length === 0 ? (
          <Empty icon={<InboxIcon size={28} />} title="Nothing here">
            {view === 'mine' ? 'Conversations assigned to you appear here. Reply to one in Unassigned to take it.' : 'New texts and missed calls appear here as they arrive.'}
          </Empty>
        ) : (
          <ConversationList items={items} selected={selected} onOpen={open} hasMore={list.hasNextPage} loadMore={() => !list.isFetchingNextPage && void list.fetchNextPage()} />
        )}
      </section>
      <section className="thread-pane" aria-label="Conversation">
        {selected ? (
          <>
            <button className="btn ghost back" onClick={() => open(undefined)}>
              <ArrowLeft size={16} aria-hidden="true" /> {title}
            </button>
            <Thread key={selected} conversationId={selected} actions={actions} contactToggle={
              <button className={`icon-btn ${showContact ? 'on' : ''}`} aria-label="Contact details" aria-pressed={showContact} title="Contact details" onClick={() => setShowContact((s) => !s)}>
                <PanelRight size={18} />
              </button>
            } />
          </>
        ) : (
          <Empty icon={<MailOpen size={28} />} title="Pick a conversation">
            Use <kbd>j</kbd> and <kbd>k</kbd> to move, <kbd>?</kbd> for all shortcuts.
          </Empty>
        )}
      </section>
      {selected && showContact && <ContactPanelFor conversationId={selected} onClose={() => setShowContact(false)} />}
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
    </div>
  );
}

function ContactPanelFor({ conversationId, onClose }: { conversationId: string; onClose: () => void }) {
  const conv = useQuery({ queryKey: ['conversation', conversationId], queryFn: () => ok(api.GET('/v1/conversations/{id}', { params: { path: { id: conversationId } } })) });
  if (!conv.data) return null;
  return <ContactPanel contactId={conv.data.contact_id} conversationId={conversationId} onClose={onClose} />;
}

function ConversationList({ items, selected, onOpen, hasMore, loadMore }: { items: ConversationItem[]; selected?: string; onOpen: (id: string) => void; hasMore: boolean; loadMore: () => void }) {
  const parent = useRef<HTMLDivElement>(null);
  const users = useUsers();
  const me = useMe();
  const names = useMemo(() => new Map((users.data ?? []).map((u) => [u.id, u.id === me.user.id ? 'You' : (u.name ?? u.email)])), [users.data, me.user.id]);
  const virtual = useVirtualizer({ count: items.length, getScrollElement: () => parent.current, estimateSize: () => 76, overscan: 8 });
  const last = virtual.getVirtualItems().at(-1);
  useEffect(() => {
    if (hasMore && last && last.index >= items.length - 10) loadMore();
  }, [hasMore, last, items.length, loadMore]);
  useEffect(() => {
    const i = items.findIndex((c) => c.id === selected);
    if (i >= 0) virtual.scrollToIndex(i, { align: 'auto' });
  }, [selected]);
  return (
    <div className="list-scroll" ref={parent}>
      <ul className="conv-list" style={{ height: virtual.getTotalSize() }} aria-label="Conversations">
        {virtual.getVirtualItems().map((row) => {
          const c = items[row.index]!;
          return (
            <li key={c.id} className="conv-row-wrap" style={{ transform: `translateY(${row.start}px)` }} data-index={row.index}>
              <ConversationRow c={c} selected={c.id === selected} onOpen={onOpen} assignee={c.assigned_user_id ? names.get(c.assigned_user_id) : undefined} />
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function ConversationRow({ c, selected, onOpen, assignee }: { c: ConversationItem; selected: boolean; onOpen: (id: string) => void; assignee?: string }) {
  const unread = c.unread_count > 0 || !c.read;
  const name = c.contact?.name || formatPhone(c.contact?.phone) || 'Unknown';
  const lm = c.last_message;
  return (
    <button className={`conv-row ${selected ? 'selected' : ''} ${unread ? 'unread' : ''}`} onClick={() => onOpen(c.id)} aria-current={selected ? 'true' : undefined}>
      <span className="avatar" aria-hidden="true">
        {initials(c.contact?.name, '#')}
      </span>
      <span className="conv-main">
        <span className="conv-top">
          <span className="conv-name">{name}</span>
          <time className="conv-time" dateTime={c.last_message_at ?? undefined}>
            {shortTime(c.last_message_at ?? lm?.created_at)}
          </time>
        </span>
        <span className="conv-bottom">
          {lm?.direction === 'outbound' && <DeliveryIcon status={lm.status} />}
          <span className="conv-preview">{lm ? (lm.direction === 'outbound' ? `You: ${lm.body}` : lm.body) : 'No texts yet'}</span>
          {unread && <span className="unread-dot" aria-label={`${c.unread_count || 1} unread`} />}
        </span>
        <span className="conv-meta">
          {assignee ? <span className="chip">{assignee}</span> : <span className="chip muted-chip">Unassigned</span>}
          {c.status === 'done' && <span className="chip">Done</span>}
        </span>
      </span>
    </button>
  );
}

export function DeliveryIcon({ status }: { status: string }) {
  if (status === 'delivered') return <CheckCheck className="di ok" size={15} aria-label="Delivered" />;
  if (status === 'sent') return <Check className="di" size={15} aria-label="Sent" />;
  if (status === 'failed' || status === 'undelivered' || status === 'blocked') return <AlertCircle className="di bad" size={15} aria-label={status === 'blocked' ? 'Blocked' : 'Not delivered'} />;
  if (status === 'scheduled' || status === 'held' || status === 'queued' || status === 'sending') return <Clock className="di" size={15} aria-label={status} />;
  return null;
}

const SHORTCUTS: [string, string][] = [
  ['j / k', 'Next / previous conversation'],
  ['r', 'Reply (focus the composer)'],
  ['/', 'Insert a saved reply'],
  ['s / Ctrl + K', 'Search conversations'],
  ['e', 'Mark done (or reopen)'],
  ['a', 'Assign to me'],
  ['u', 'Mark unread'],
  ['Ctrl + Enter', 'Send'],
  ['Esc', 'Close the conversation'],
  ['?', 'This list'],
];

function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose}>
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map(([k, v]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}

