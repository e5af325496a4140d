-- Conversations and messages: written only by the conversation service (core/conversations).

create table conversations (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  contact_id uuid not null references contacts(id) on delete cascade,
  channel text not null check (channel in ('web', 'email', 'sms', 'whatsapp', 'voice')),
  mode text not null default 'ai' check (mode in ('ai', 'human', 'closed')),
  status text not null default 'open' check (status in ('open', 'closed')),
  assigned_rep_id uuid references users(id) on delete set null,
  visitor_id text,
  subject text,
  -- Per-conversation token for reply addresses, so email replies thread back.
  reply_token text not null unique default replace(gen_random_uuid()::text, '-', ''),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_message_at timestamptz
);
create index conversations_contact on conversations(org_id, contact_id);
create index conversations_visitor on conversations(org_id, visitor_id) where visitor_id is not null;
alter table conversations enable row level security;
create policy conversations_own on conversations using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

create table messages (
  id uuid primary key default gen_random_uuid(),
  -- Total order of messages; within a conversation, seq order is the order of turns.
  seq bigint generated always as identity,
  org_id uuid not null references organizations(id) on delete cascade,
  conversation_id uuid not null references conversations(id) on delete cascade,
  contact_id uuid not null references contacts(id) on delete cascade,
  direction text not null check (direction in ('inbound', 'outbound')),
  channel text not null check (channel in ('web', 'email', 'sms', 'whatsapp', 'voice')),
  sender text not null check (sender in ('prospect', 'agent', 'rep', 'system')),
  author_id uuid references users(id) on delete set null,
  body text not null,
  status text not null default 'received',
  provider_message_id text,
  client_id text,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index messages_provider_id on messages(org_id, provider_message_id) where provider_message_id is not null;
create unique index messages_client_id on messages(conversation_id, client_id) where client_id is not null;
create index messages_conversation on messages(org_id, conversation_id, seq);
alter table messages enable row level security;
create policy messages_own on messages using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

-- Token usage and cost of each agent turn.
create table agent_turns (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  conversation_id uuid references conversations(id) on delete cascade,
  agent text not null,
  model text not null,
  input_tokens integer not null default 0,
  output_tokens integer not null default 0,
  cost_micro_usd bigint not null default 0,
  created_at timestamptz not null default now()
);
create index agent_turns_conversation on agent_turns(org_id, conversation_id);
alter table agent_turns enable row level security;
create policy agent_turns_own on agent_turns using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());
