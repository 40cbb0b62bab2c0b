import { useQuery } from '@tanstack/react-query';
import { Link, Outlet, useNavigate, useRouterState, useSearch } from '@tanstack/react-router';
import { AlarmClock, AlertTriangle, Ban, ChartColumn, CalendarClock, CheckCheck, ChevronDown, Headset, Inbox as InboxIcon, KeyRound, LogOut, Mail, PhoneCall, Menu, MessageSquareText, Settings, Smartphone, User, UserX, Users, X } from 'lucide-react';
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, ok } from '../api/client';
import { atLeast, useChangePassword, useMe, useSignOut } from '../auth';
import { NotificationSettings } from './notification-settings';
import { EventStream, useStreamState } from '../events';
import { formatPhone } from '../format';
import { Dialog } from '../ui';
import { SavedViewsRail } from './search';

export function useNumbers() {
  return useQuery({ queryKey: ['numbers'], queryFn: async () => (await ok(api.GET('/v1/numbers'))).data.map((n) => ({ ...n, e164: n.phone })), staleTime: 60_000 });
}
export function useTeams() {
  return useQuery({ queryKey: ['teams'], queryFn: async () => (await ok(api.GET('/v1/teams'))).data, staleTime: 60_000 });
}

export function Shell() {
  return (
    <EventStream>
      <ShellLayout />
    </EventStream>
  );
}

function ShellLayout() {
  const [railOpen, setRailOpen] = useState(false);
  const pathname = useRouterState({ select: (s) => s.location.href });
  useEffect(() => setRailOpen(false), [pathname]);
  return (
    <div className={`shell ${railOpen ? 'rail-open' : ''}`}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button className="icon-btn" aria-label="Open menu" onClick={() => setRailOpen(true)}>
          <Menu size={20} />
        </button>
        <span className="brand small">
          <span className="brand-mark" aria-hidden="true">
            <MessageSquareText size={16} />
          </span>
          Textback
        </span>
        <StreamBadge />
      </header>
      <Rail onClose={() => setRailOpen(false)} />
      {railOpen && <div className="scrim" onClick={() => setRailOpen(false)} aria-hidden="true" />}
      <main id="main" className="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

function StreamBadge() {
  const state = useStreamState();
  if (state === 'live') return null;
  return (
    <span className="stream-badge" role="status">
      {state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…'}
    </span>
  );
}

function RailLink({ to, params, icon, children, search }: { to: string; params?: Record<string, string>; icon: ReactNode; children: ReactNode; search?: Record<string, string> }) {
  return (
    <Link to={to} params={params} search={search} className="rail-link" activeProps={{ className: 'active', 'aria-current': 'page' }} activeOptions={{ includeSearch: false }}>
      <span className="rail-icon" aria-hidden="true">
        {icon}
      </span>
      <span className="rail-text">{children}</span>
    </Link>
  );
}

function Rail({ onClose }: { onClose: () => void }) {
  const me = useMe();
  const teams = useTeams();
  const numbers = useNumbers();
  const navigate = useNavigate();
  const search = useSearch({ strict: false }) as { number?: string };
  const view = useRouterState({ select: (s) => (s.location.pathname.startsWith('/inbox/') ? s.location.pathname.split('/')[2] : undefined) });
  const numberSearch: Record<string, string> = search.number ? { number: search.number } : {};
  return (
    <nav className="rail" aria-label="Main">
      <div className="rail-head">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            <MessageSquareText size={18} />
          </span>
          Textback
        </span>
        <button className="icon-btn rail-close" aria-label="Close menu" onClick={onClose}>
          <X size={18} />
        </button>
      </div>
      <StreamBadge />
      {(numbers.data?.length ?? 0) > 1 && (
        <label className="rail-number">
          <span className="sr-only">Business number</span>
          <select
            value={search.number ?? ''}
            onChange={(e) => void navigate({ to: '/inbox/$view', params: { view: view ?? 'all' }, search: e.target.value ? { number: e.target.value } : {} })}
          >
            <option value="">All numbers</option>
            {numbers.data?.map((n) => (
              <option key={n.id} value={n.id}>
                {n.name ? `${n.name} · ` : ''}
                {formatPhone(n.e164 ?? n.phone)}
              </option>
            ))}
          </select>
        </label>
      )}
      <div className="rail-section" role="group" aria-label="Inbox">
        <div className="rail-title">Inbox</div>
        <RailLink to="/inbox/$view" params={{ view: 'mine' }} search={numberSearch} icon={<User size={17} />}>
          Mine
        </RailLink>
        <RailLink to="/inbox/$view" params={{ view: 'unassigned' }} search={numberSearch} icon={<UserX size={17} />}>
          Unassigned
        </RailLink>
        <RailLink to="/inbox/$view" params={{ view: 'all' }} search={numberSearch} icon={<InboxIcon size={17} />}>
          All open
        </RailLink>
        <RailLink to="/inbox/$view" params={{ view: 'snoozed' }} search={numberSearch} icon={<AlarmClock size={17} />}>
          Snoozed
        </RailLink>
        <RailLink to="/inbox/$view" params={{ view: 'done' }} search={numberSearch} icon={<CheckCheck size={17} />}>
          Done
        </RailLink>
      </div>
      {(teams.data?.length ?? 0) > 0 && (
        <div className="rail-section" role="group" aria-label="Teams">
          <div className="rail-title">Teams</div>
          {teams.data?.map((t) => (
            <RailLink key={t.id} to="/inbox/$view" params={{ view: `team-${t.id}` }} search={numberSearch} icon={<Users size={17} />}>
              {t.name}
            </RailLink>
          ))}
        </div>
      )}
      <SavedViewsRail />
      <div className="rail-section" role="group" aria-label="Needs attention">
        <div className="rail-title">Needs attention</div>
        <RailLink to="/inbox/$view" params={{ view: 'failed' }} search={numberSearch} icon={<AlertTriangle size={17} />}>
          Failed texts
        </RailLink>
        <RailLink to="/inbox/$view" params={{ view: 'scheduled' }} search={numberSearch} icon={<CalendarClock size={17} />}>
          Scheduled
        </RailLink>
        <RailLink to="/inbox/$view" params={{ view: 'opted-out' }} search={numberSearch} icon={<Ban size={17} />}>
          Opted out
        </RailLink>
        <RailLink to="/callbacks" icon={<PhoneCall size={17} />}>
          Callbacks
        </RailLink>
      </div>
      <div className="rail-section" role="group" aria-label="Tools">
        <div className="rail-title">Tools</div>
        <RailLink to="/agent" icon={<Headset size={17} />}>
          Agent console
        </RailLink>
        <RailLink to="/sandbox" icon={<Smartphone size={17} />}>
          Sandbox phone
        </RailLink>
        {atLeast(me.user.role, 'supervisor') && (
          <RailLink to="/analytics" icon={<ChartColumn size={17} />}>
            Analytics
          </RailLink>
        )}
        {atLeast(me.user.role, 'supervisor') && (
          <RailLink to="/settings" icon={<Settings size={17} />}>
            Settings
          </RailLink>
        )}
      </div>
      <UserMenu />
    </nav>
  );
}

function UserMenu() {
  const me = useMe();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [pw, setPw] = useState(false);
  const [mail, setMail] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  return (
    <div className="user-menu" ref={ref}>
      {open && (
        <div className="menu" role="menu" aria-label="Account">
          <button role="menuitem" onClick={() => { setOpen(false); setPw(true); }}>
            <KeyRound size={16} aria-hidden="true" /> Change password
          </button>
          <button role="menuitem" onClick={() => { setOpen(false); setMail(true); }}>
            <Mail size={16} aria-hidden="true" /> Email notifications
          </button>
          <button role="menuitem" onClick={() => signOut.mutate(undefined, { onSettled: () => void navigate({ to: '/signin' }) })}>
            <LogOut size={16} aria-hidden="true" /> Sign out
          </button>
        </div>
      )}
      <button className="user-button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <span className="avatar" aria-hidden="true">
          {(me.user.name ?? me.user.email).slice(0, 1).toUpperCase()}
        </span>
        <span className="user-text">
          <span className="user-name">{me.user.name ?? me.user.email}</span>
          <span className="user-org">
            {me.organization.name} · {me.user.role}
          </span>
        </span>
        <ChevronDown size={16} aria-hidden="true" />
      </button>
      {pw && <ChangePassword onClose={() => setPw(false)} />}
      {mail && <NotificationSettings onClose={() => setMail(false)} />}
    </div>
  );
}

function ChangePassword({ onClose }: { onClose: () => void }) {
  const change = useChangePassword();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    change.mutate({ current_password: current, new_password: next });
  };
  const err = change.error instanceof ApiError ? (change.error.field('new_password') ?? change.error.field('current_password') ?? change.error.message) : change.error?.message;
  return (
    <Dialog title="Change password" onClose={onClose}>
      {change.isSuccess ? (
        <>
          <p>Your password is changed. You stay signed in here; other devices were signed out.</p>
          <div className="actions">
            <button className="btn primary" onClick={onClose}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submit}>
          <label className="field">
            <span>Current password</span>
            <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
          </label>
          <label className="field">
            <span>New password</span>
            <input type="password" autoComplete="new-password" minLength={10} value={next} onChange={(e) => setNext(e.target.value)} required aria-describedby="pw-hint" />
            <small id="pw-hint">At least 10 characters.</small>
          </label>
          {err && (
            <p className="form-error" role="alert">
              {err}
            </p>
          )}
          <div className="actions">
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button className="btn primary" disabled={change.isPending || next.length < 10 || !current}>
              Change password
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
