-- A prospect asked for a person (core/conversations/rep-handoff.ts): the conversation is
-- `waiting_for_rep` from the request until a rep takes over, hands back or it closes. The console
-- inbox lists these first, and the pipeline summary and the routing queue count them, so they
-- have an index of their own.
alter table conversations add column waiting_for_rep_since timestamptz;
create index conversations_waiting_for_rep on conversations(org_id, waiting_for_rep_since)
  where waiting_for_rep_since is not null;

-- The current briefing of each lead a rep was briefed on (core/routing/rep-briefing.ts): rebuilt
-- whenever the lead's facts, score or outcome change and when a rep takes over, so the console
-- never shows a stale one.
create table rep_briefings (
  org_id uuid not null references organizations(id) on delete cascade,
  contact_id uuid not null references contacts(id) on delete cascade,
  rep_id uuid references users(id) on delete set null,
  -- routed, handoff or taken_over: what the briefing's first line tells the rep.
  occasion text not null check (occasion in ('routed', 'handoff', 'taken_over')),
  routing_reasons jsonb not null default '[]'::jsonb,
  subject text not null,
  email text not null,
  text text not null,
  built_at timestamptz not null default now(),
  primary key (org_id, contact_id)
);
alter table rep_briefings enable row level security;
create policy rep_briefings_own on rep_briefings using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());
