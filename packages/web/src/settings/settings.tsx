/**
 * Settings (owners and admins; supervisors see queues). Loaded on demand. Each section is a small form
 * over one API resource; the server enforces the roles whatever the page shows.
 */
import { Link, Outlet, useParams } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { atLeast, useMe } from '../auth';
import { Empty } from '../ui';
import { Carriers, Users, ApiKeys } from './accounts';
import { TextBack, Automations } from './automations';
import { BusinessHours } from './business-hours';
import { Compliance } from './compliance';
import { Numbers } from './numbers';
import { Queues } from './queues';
import { SavedReplies } from './saved-replies';
import { Suppressions } from './suppressions';
import { Teams } from './teams';
import { Webhooks } from './webhooks';
import { ReplyAgent } from './reply-agent';

type Section = { id: string; label: string; min: 'supervisor' | 'admin'; component: () => ReactNode };
const SECTIONS: Section[] = [
  { id: 'teams', label: 'Teams', min: 'admin', component: () => <Teams /> },
  { id: 'numbers', label: 'Numbers', min: 'admin', component: () => <Numbers /> },
  { id: 'text-back', label: 'Missed-call text-back', min: 'admin', component: () => <TextBack /> },
  { id: 'automations', label: 'Automations', min: 'admin', component: () => <Automations /> },
  { id: 'reply-agent', label: 'Reply agent', min: 'admin', component: () => <ReplyAgent /> },
  { id: 'saved-replies', label: 'Saved replies', min: 'admin', component: () => <SavedReplies /> },
  { id: 'hours', label: 'Business hours', min: 'admin', component: () => <BusinessHours /> },
  { id: 'compliance', label: 'Compliance', min: 'admin', component: () => <Compliance /> },
  { id: 'suppressions', label: 'Do-not-contact list', min: 'admin', component: () => <Suppressions /> },
  { id: 'queues', label: 'SMS queues', min: 'supervisor', component: () => <Queues /> },
  { id: 'carriers', label: 'Carrier accounts', min: 'admin', component: () => <Carriers /> },
  { id: 'webhooks', label: 'Webhooks', min: 'admin', component: () => <Webhooks /> },
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

