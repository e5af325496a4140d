-- The delivery ledger behind the outbound gate (core/outbound.ts): one row per idempotency key,
-- written before a provider is called, so a retry after a crash never sends twice. It is also
-- what the console shows for recorded-only providers, and what the Florida/Oklahoma call cap
-- counts. Owned by core/outbound and core/compliance.

create table outbound_deliveries (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  idempotency_key text not null check (length(idempotency_key) between 1 and 200),
  contact_id uuid not null references contacts(id) on delete cascade,
  conversation_id uuid,
  channel text not null check (channel in ('web', 'email', 'sms', 'whatsapp', 'voice')),
  purpose text not null
    check (purpose in ('conversation_reply', 'marketing', 'transactional', 'opt_out_confirmation', 'rep_notification')),
  sender text not null check (sender in ('agent', 'rep', 'system')),
  author_id text,
  to_address text,
  subject text,
  body text not null,
  -- sending: claimed, provider call under way (or the process died during it);
  -- in_doubt: a crash left it unknown whether the provider got it, and the provider cannot dedupe.
  status text not null
    check (status in ('sending', 'sent', 'recorded', 'refused', 'failed', 'in_doubt')),
  mode text check (mode in ('live', 'recorded')),
  reasons text[] not null default '{}',
  warnings text[] not null default '{}',
  provider_message_id text,
  error text,
  attempts integer not null default 0,
  -- When the provider was last called: the call cap and the one opt-out confirmation count it.
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, idempotency_key)
);
create index outbound_deliveries_contact on outbound_deliveries(org_id, contact_id, sent_at);
create index outbound_deliveries_recent on outbound_deliveries(org_id, created_at desc);
alter table outbound_deliveries enable row level security;
create policy outbound_deliveries_own on outbound_deliveries using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

-- Looking up whether a number is on a list is by phone; the primary key leads with source.
create index dnc_numbers_phone on dnc_numbers(org_id, phone);
create index dnc_imports_org on dnc_imports(org_id, source, data_date desc);
create index suppressions_address on suppressions(org_id, address);
