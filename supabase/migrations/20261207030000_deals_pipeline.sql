-- Deals as a pipeline (core/deals): open → qualified → proposal → negotiation → won | lost, each
-- move kept in a stage history with who made it. Owned by core/deals.

alter table deals
  add column lost_reason text,
  add column lost_at timestamptz,
  add column proposal jsonb,
  add column stage_changed_at timestamptz;

create table deal_stage_history (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  deal_id uuid not null references deals(id) on delete cascade,
  from_stage text,
  to_stage text not null,
  amount_cents bigint,
  actor_type text not null,
  actor_id text not null,
  reason text,
  created_at timestamptz not null default now()
);
create index deal_stage_history_deal on deal_stage_history(org_id, deal_id, created_at);
alter table deal_stage_history enable row level security;
create policy deal_stage_history_own on deal_stage_history using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create index deals_org_updated on deals(org_id, updated_at desc, id);
