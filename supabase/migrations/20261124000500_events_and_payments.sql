-- The events outbox (written in the same transaction as the state change it announces),
-- provider webhook receipts (dedupe) and payments.

create table events (
  id uuid primary key default gen_random_uuid(),
  seq bigint generated always as identity,
  org_id uuid not null references organizations(id) on delete cascade,
  name text not null,
  data jsonb not null,
  created_at timestamptz not null default now(),
  dispatched_at timestamptz,
  dispatch_attempts integer not null default 0,
  last_error text
);
create index events_undispatched on events(seq) where dispatched_at is null;
create index events_org_name on events(org_id, name, seq);
alter table events enable row level security;
create policy events_own on events using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table webhook_receipts (
  org_id uuid not null references organizations(id) on delete cascade,
  provider text not null,
  provider_event_id text not null,
  received_at timestamptz not null default now(),
  primary key (org_id, provider, provider_event_id)
);
alter table webhook_receipts enable row level security;
create policy webhook_receipts_own on webhook_receipts using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table payments (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  deal_id uuid references deals(id) on delete set null,
  contact_id uuid references contacts(id) on delete set null,
  provider text not null default 'stripe',
  provider_ref text not null,
  amount_cents bigint not null check (amount_cents >= 0),
  currency text not null default 'usd',
  status text not null,
  created_at timestamptz not null default now(),
  unique (org_id, provider, provider_ref)
);
alter table payments enable row level security;
create policy payments_own on payments using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());
