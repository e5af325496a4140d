-- The conversation service (core/conversations): the agent's per-conversation state, and the
-- turn lease that lets one server node at a time answer a conversation.

-- Disclosure sent, outcome announced, handoff requested, why it closed: facts about one
-- conversation that the contact's qualification document does not carry.
alter table conversations add column agent_state jsonb not null default '{}'::jsonb;

-- A node answers a conversation only while it holds that conversation's lease. A row, not a
-- session advisory lock: a turn waits on the model for seconds, and a lease does not pin a
-- database connection (or, on PGlite, the only one) for that long. An expired lease is free.
create table conversation_turn_leases (
  conversation_id uuid primary key references conversations(id) on delete cascade,
  org_id uuid not null references organizations(id) on delete cascade,
  holder text not null,
  expires_at timestamptz not null,
  acquired_at timestamptz not null default now()
);
alter table conversation_turn_leases enable row level security;
create policy conversation_turn_leases_own on conversation_turn_leases using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

-- Prospect messages still waiting for their turn, in arrival order.
create index messages_pending_inbound on messages(conversation_id, seq)
  where direction = 'inbound' and status = 'received';
-- The reply to an inbound message.
create index messages_in_reply_to on messages(conversation_id, (metadata ->> 'inReplyTo'))
  where direction = 'outbound';
-- Open conversations of a contact on a channel (the one an inbound message joins).
create index conversations_open on conversations(org_id, contact_id, channel) where status = 'open';
-- Messages a prospect has sent (engagement.messages in the qualification document).
create index messages_contact_inbound on messages(org_id, contact_id) where direction = 'inbound';
