-- Leads: companies, contacts (with lead score, breakdown, enrichment, qualification, routing),
-- score history and deals. Owned by core/leads.

create table companies (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  name text,
  domain text,
  industry text,
  employee_count integer check (employee_count is null or employee_count >= 0),
  country text,
  enrichment jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index companies_domain on companies(org_id, lower(domain)) where domain is not null;
alter table companies enable row level security;
create policy companies_own on companies using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table contacts (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  company_id uuid references companies(id) on delete set null,
  email text,
  phone text,
  first_name text,
  last_name text,
  title text,
  company_name text,
  website text,
  company_size integer check (company_size is null or company_size >= 0),
  industry text,
  country text,
  timezone text,
  source text,
  status text not null default 'new'
    check (status in ('new', 'scored', 'qualifying', 'qualified', 'nurture', 'disqualified', 'routed', 'won', 'lost')),
  lead_score integer check (lead_score is null or lead_score between 0 and 100),
  score_breakdown jsonb not null default '[]'::jsonb,
  scored_at timestamptz,
  enrichment jsonb not null default '{}'::jsonb,
  qualification jsonb not null default '{}'::jsonb,
  routing jsonb,
  do_not_call boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index contacts_email on contacts(org_id, lower(email)) where email is not null;
create unique index contacts_phone on contacts(org_id, phone) where phone is not null;
create index contacts_org_created on contacts(org_id, created_at desc);
alter table contacts enable row level security;
create policy contacts_own on contacts using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table score_history (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  contact_id uuid not null references contacts(id) on delete cascade,
  old_score integer,
  new_score integer not null,
  breakdown jsonb not null,
  trigger text not null,
  created_at timestamptz not null default now()
);
create index score_history_contact on score_history(org_id, contact_id, created_at);
alter table score_history enable row level security;
create policy score_history_own on score_history using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table deals (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  contact_id uuid not null references contacts(id) on delete cascade,
  company_id uuid references companies(id) on delete set null,
  owner_id uuid references users(id) on delete set null,
  stage text not null default 'open'
    check (stage in ('open', 'qualified', 'proposal', 'negotiation', 'won', 'lost')),
  amount_cents bigint check (amount_cents is null or amount_cents >= 0),
  currency text not null default 'usd',
  payment_link_id text,
  payment_url text,
  won_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index deals_contact on deals(org_id, contact_id);
alter table deals enable row level security;
create policy deals_own on deals using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());
