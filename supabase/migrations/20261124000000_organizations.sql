-- Organizations and their access: API keys (hashed), the public widget key, reps and sessions.
-- Row-level security keys every table on the organization claim, so the same migrations are safe
-- on Supabase (PostgREST sets request.jwt.claims). The server itself connects as the table owner.

create or replace function public.current_org_id() returns uuid
language sql stable as $$
  select nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'org_id', '')::uuid
$$;

create table organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  widget_key text not null unique,
  settings jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table organizations enable row level security;
create policy organizations_own on organizations using (id = public.current_org_id());

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  name text not null default 'default',
  key_prefix text not null,
  key_hash text not null unique,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_org on api_keys(org_id);
alter table api_keys enable row level security;
create policy api_keys_own on api_keys using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table users (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  email text not null,
  password_hash text not null,
  name text,
  role text not null default 'rep' check (role in ('admin', 'rep')),
  territory text,
  expertise text[] not null default '{}',
  capacity integer not null default 20 check (capacity >= 0),
  win_rate real not null default 0 check (win_rate between 0 and 1),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Sign-in is by email alone, so an email belongs to one account across the installation.
create unique index users_email on users(lower(email));
create index users_org on users(org_id);
alter table users enable row level security;
create policy users_own on users using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table sessions (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  user_id uuid not null references users(id) on delete cascade,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index sessions_user on sessions(org_id, user_id);
alter table sessions enable row level security;
create policy sessions_own on sessions using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());
