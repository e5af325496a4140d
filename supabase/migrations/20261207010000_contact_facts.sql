-- Where each contact field came from, and what was said against it (core/contact-facts.ts).
-- field_sources: {"<field>": {"source": "api" | "prechat" | "operator" | "conversation" | ...,
--   "messageId"?, "conversationId"?, "at"}} for the fields written since provenance is kept; a
--   field with a value and no entry predates it and counts as trusted.
-- fact_conflicts: facts a prospect stated that were not applied because a more trusted value
--   (or another contact's email or phone) stands, each {field, value, source, messageId?,
--   conversationId?, at, current?, currentSource?, reason}; kept for a person to decide.
-- tools: the tools the prospect says they use, as stated.
alter table contacts
  add column field_sources jsonb not null default '{}'::jsonb,
  add column fact_conflicts jsonb not null default '[]'::jsonb,
  add column tools text[];
