-- Routing (core/routing): which rep holds each lead routed to a person (mode B), and the leads
-- waiting for a rep with free capacity, in arrival order. Payments (core/payments) find the deal
-- of a completed checkout by its payment link.

-- Where a rep gets SMS/WhatsApp briefings; without one, briefings go by email only.
alter table users add column phone text;

create table lead_assignments (
  id uuid primary key default gen_random_uuid(),
  -- Queue order: of the waiting leads, the one queued first gets the next free rep.
  seq bigint generated always as identity,
  org_id uuid not null references organizations(id) on delete cascade,
  contact_id uuid not null references contacts(id) on delete cascade,
  rep_id uuid references users(id) on delete set null,
  -- queued: waiting for a rep; assigned: counts against the rep's capacity; released: done.
  status text not null check (status in ('queued', 'assigned', 'released')),
  -- Why this rep (or why the lead waits), as shown in the briefing and the console.
  reasons jsonb not null default '[]'::jsonb,
  queued_at timestamptz,
  assigned_at timestamptz,
  released_at timestamptz,
  release_reason text,
  notified_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- A lead waits or is held by one rep at a time.
create unique index lead_assignments_current on lead_assignments(org_id, contact_id)
  where status in ('queued', 'assigned');
create index lead_assignments_rep_load on lead_assignments(org_id, rep_id) where status = 'assigned';
create index lead_assignments_queue on lead_assignments(org_id, seq) where status = 'queued';
alter table lead_assignments enable row level security;
create policy lead_assignments_own on lead_assignments using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

-- A completed checkout names its payment link; the webhook finds the deal by it.
create index deals_payment_link on deals(payment_link_id) where payment_link_id is not null;
