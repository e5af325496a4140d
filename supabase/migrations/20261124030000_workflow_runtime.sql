-- State of the embedded workflow runtime (inngest/embedded-runtime.ts): runs, their memoized
-- steps and cron schedules. With Inngest configured these stay empty: Inngest keeps run state.
-- org_id is null only for cron runs, which belong to the installation, not to one organization.

create table workflow_runs (
  id uuid primary key default gen_random_uuid(),
  -- Arrival order: runs of one concurrency key start in the order their events were written.
  seq bigint generated always as identity,
  org_id uuid references organizations(id) on delete cascade,
  function_id text not null,
  -- The event (outbox id) or cron tick that started the run: one run per function and trigger.
  trigger_id text not null,
  event_name text not null,
  event jsonb not null,
  contact_id uuid,
  concurrency_key text,
  status text not null default 'queued'
    check (status in ('queued', 'running', 'sleeping', 'waiting', 'completed', 'failed')),
  attempt integer not null default 0,
  max_attempts integer not null,
  run_after timestamptz not null default now(),
  lease_owner text,
  lease_expires_at timestamptz,
  output jsonb,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  unique (function_id, trigger_id)
);
create index workflow_runs_due on workflow_runs(run_after) where status in ('queued', 'sleeping', 'waiting');
create index workflow_runs_leased on workflow_runs(lease_expires_at) where status = 'running';
create index workflow_runs_contact on workflow_runs(org_id, contact_id, created_at);
create index workflow_runs_concurrency on workflow_runs(function_id, concurrency_key) where status = 'running';
alter table workflow_runs enable row level security;
create policy workflow_runs_own on workflow_runs using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table workflow_steps (
  run_id uuid not null references workflow_runs(id) on delete cascade,
  org_id uuid references organizations(id) on delete cascade,
  step_id text not null,
  op text not null check (op in ('run', 'sleep', 'wait_for_event', 'send_event', 'on_failure')),
  status text not null check (status in ('completed', 'waiting')),
  output jsonb,
  wake_at timestamptz,
  wait_event text,
  -- For waitForEvent with `match`: the value the awaited event's field must equal.
  wait_match_path text,
  wait_match_value jsonb,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  primary key (run_id, step_id)
);
create index workflow_steps_waiting on workflow_steps(wait_event) where status = 'waiting' and op = 'wait_for_event';
alter table workflow_steps enable row level security;
create policy workflow_steps_own on workflow_steps using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table workflow_schedules (
  function_id text primary key,
  cron text not null,
  next_at timestamptz not null,
  -- Installation-wide; the column keeps the every-table-has-org_id rule and stays null.
  org_id uuid references organizations(id) on delete cascade
);
alter table workflow_schedules enable row level security;
create policy workflow_schedules_own on workflow_schedules using (org_id = public.current_org_id());
