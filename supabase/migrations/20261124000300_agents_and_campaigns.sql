-- Per-organization agent settings, the knowledge base the agents answer from, campaigns and
-- follow-up sequences.

create table agents (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  loadout text not null check (loadout in ('scout', 'researcher', 'qualifier', 'outreach', 'closer', 'demo', 'ops')),
  enabled boolean not null default true,
  overrides jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, loadout)
);
alter table agents enable row level security;
create policy agents_own on agents using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table knowledge_entries (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  kind text not null check (kind in ('product', 'pricing', 'faq', 'policy')),
  title text not null,
  body text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index knowledge_entries_org on knowledge_entries(org_id, kind);
alter table knowledge_entries enable row level security;
create policy knowledge_entries_own on knowledge_entries using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table campaigns (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  name text not null,
  channel text check (channel in ('web', 'email', 'sms', 'whatsapp', 'voice')),
  status text not null default 'draft' check (status in ('draft', 'active', 'paused', 'completed')),
  settings jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table campaigns enable row level security;
create policy campaigns_own on campaigns using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table follow_up_sequences (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  contact_id uuid not null references contacts(id) on delete cascade,
  campaign_id uuid references campaigns(id) on delete set null,
  name text not null,
  status text not null default 'active' check (status in ('active', 'paused', 'completed', 'cancelled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index follow_up_sequences_contact on follow_up_sequences(org_id, contact_id);
alter table follow_up_sequences enable row level security;
create policy follow_up_sequences_own on follow_up_sequences using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table follow_up_messages (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  sequence_id uuid not null references follow_up_sequences(id) on delete cascade,
  contact_id uuid not null references contacts(id) on delete cascade,
  channel text not null check (channel in ('web', 'email', 'sms', 'whatsapp', 'voice')),
  step_index integer not null check (step_index >= 0),
  subject text,
  body text not null,
  due_at timestamptz not null,
  status text not null default 'scheduled'
    check (status in ('scheduled', 'sending', 'sent', 'failed', 'skipped', 'cancelled')),
  attempts integer not null default 0,
  last_error text,
  sent_at timestamptz,
  message_id uuid references messages(id) on delete set null,
  created_at timestamptz not null default now(),
  unique (sequence_id, step_index)
);
create index follow_up_messages_due on follow_up_messages(org_id, status, due_at);
alter table follow_up_messages enable row level security;
create policy follow_up_messages_own on follow_up_messages using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());
