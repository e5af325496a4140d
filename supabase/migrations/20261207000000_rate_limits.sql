-- Request and attempt counters (core/rate-limits.ts): one row per limited thing and fixed time
-- window, counted in the database so a limit holds across server nodes. Rows of past windows
-- are deleted as new ones are written.
create table rate_limit_windows (
  bucket text not null,
  window_start timestamptz not null,
  hits integer not null default 0,
  -- Null for limits that belong to no organization yet (sign-in attempts by client address).
  org_id uuid references organizations(id) on delete cascade,
  primary key (bucket, window_start)
);
create index rate_limit_windows_age on rate_limit_windows(window_start);
alter table rate_limit_windows enable row level security;
create policy rate_limit_windows_own on rate_limit_windows using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());
