-- Compliance: append-only consent records, Do-Not-Call lists, suppressions and the hash-chained
-- audit log. Owned by core/compliance and core/audit.

create or replace function public.refuse_change() returns trigger
language plpgsql as $$
begin
  raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
end
$$;

create table consent_records (
  id uuid primary key default gen_random_uuid(),
  seq bigint generated always as identity,
  org_id uuid not null references organizations(id) on delete cascade,
  contact_id uuid not null references contacts(id) on delete cascade,
  consent_type text not null
    check (consent_type in ('email_marketing', 'sms_marketing', 'marketing_calls', 'ai_voice_calls')),
  action text not null check (action in ('given', 'revoked')),
  method text not null
    check (method in ('web_form', 'chat_checkbox', 'sms_keyword', 'verbal_call', 'import', 'api', 'email_link', 'conversation')),
  evidence jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index consent_records_contact on consent_records(org_id, contact_id, consent_type, seq);
alter table consent_records enable row level security;
create policy consent_records_own on consent_records using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());
create trigger consent_records_append_only before update or delete on consent_records
  for each row execute function public.refuse_change();

create table dnc_numbers (
  org_id uuid not null references organizations(id) on delete cascade,
  phone text not null,
  source text not null check (source in ('org', 'national')),
  added_at timestamptz not null default now(),
  primary key (org_id, source, phone)
);
alter table dnc_numbers enable row level security;
create policy dnc_numbers_own on dnc_numbers using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table dnc_imports (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  source text not null,
  area_codes text[] not null default '{}',
  numbers integer not null,
  data_date date not null,
  imported_at timestamptz not null default now()
);
alter table dnc_imports enable row level security;
create policy dnc_imports_own on dnc_imports using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table suppressions (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  contact_id uuid references contacts(id) on delete cascade,
  channel text not null check (channel in ('email', 'sms', 'whatsapp', 'voice')),
  address text not null,
  reason text not null check (reason in ('unsubscribed', 'hard_bounce', 'complaint')),
  created_at timestamptz not null default now(),
  unique (org_id, channel, address, reason)
);
alter table suppressions enable row level security;
create policy suppressions_own on suppressions using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table audit_log (
  id uuid primary key default gen_random_uuid(),
  seq bigint generated always as identity,
  org_id uuid not null references organizations(id) on delete cascade,
  actor_type text not null check (actor_type in ('agent', 'rep', 'api_key', 'system', 'prospect')),
  actor_id text,
  action text not null,
  entity_type text,
  entity_id text,
  contact_id uuid,
  outcome text not null default 'ok',
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  -- sha256 over the previous entry's hash and this entry's content: an edit breaks the chain.
  prev_hash text not null,
  hash text not null unique
);
create index audit_log_org_seq on audit_log(org_id, seq);
create index audit_log_contact on audit_log(org_id, contact_id, seq);
alter table audit_log enable row level security;
create policy audit_log_own on audit_log using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());
create trigger audit_log_append_only before update or delete on audit_log
  for each row execute function public.refuse_change();
