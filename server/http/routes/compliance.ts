import { Router } from 'express';
import { z } from 'zod';
import { listAudit, verifyAuditChain } from '../../../core/audit.ts';
import { auditCsv } from '../../../core/compliance/audit-export.ts';
import {
  consentHistory,
  currentConsent,
  recordConsent,
  revokeConsent,
  revokeConsentSchema,
} from '../../../core/compliance/consent.ts';
import {
  addToDoNotCallList,
  doNotCallListings,
  importNationalRegistry,
  nationalRegistryStatus,
  removeFromDoNotCallList,
  setContactDoNotCall,
} from '../../../core/compliance/do-not-call.ts';
import { checkOutbound, outboundCheckSchema } from '../../../core/compliance/outbound-gate.ts';
import { getRecipient, setContactTimezone } from '../../../core/compliance/recipient.ts';
import type { Db } from '../../../core/db.ts';
import { DomainError } from '../../../core/errors.ts';
import { normalizePhone } from '../../../core/phone-number.ts';
import { apiAuth } from '../api-auth.ts';
import { optionalUuid, requireUuid } from '../params.ts';
import { textBody } from '../storable-input.ts';

const checkBodySchema = outboundCheckSchema.pick({
  contactId: true,
  channel: true,
  purpose: true,
  to: true,
  artificialVoice: true,
});

const registryBodySchema = z
  .object({
    text: z.string(),
    areaCode: z.string().optional(),
    dataDate: z.string().optional(),
  })
  .strict();

const phoneBodySchema = z.object({ phone: z.string().min(1, 'phone is required') }).strict();
const contactDncBodySchema = z
  .object({ contactId: z.uuid('contactId must be a UUID'), doNotCall: z.boolean() })
  .strict();
const timezoneBodySchema = z
  .object({ contactId: z.uuid('contactId must be a UUID'), timezone: z.string().min(1).max(100).nullable() })
  .strict();
const limitSchema = z.coerce.number().int().min(1).max(10_000).optional();

/** `/api/compliance/...`: consent, the outbound check, Do-Not-Call, the audit trail. */
export function complianceRoutes(db: Db): Router {
  const router = Router();

  router.post('/api/compliance/consent', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    res.status(201).json(await recordConsent(db, orgId, req.body ?? {}, actor));
  });

  router.post('/api/compliance/consent/revoke', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const revocation = revokeConsentSchema.parse(req.body ?? {});
    const result = await revokeConsent(db, orgId, revocation, actor);
    res.json({
      revoked: result.revoked.map((record) => record.type),
      alreadyRevoked: result.alreadyRevoked,
      consent: await currentConsent(db, orgId, revocation.contactId),
    });
  });

  router.get('/api/compliance/consent', async (req, res) => {
    const { orgId } = apiAuth(res);
    const contactId = requireUuid(req.query.contactId, 'contactId');
    await getRecipient(db, orgId, contactId); // 404 for another organization's contact
    res.json({
      contactId,
      consent: await currentConsent(db, orgId, contactId),
      records: await consentHistory(db, orgId, contactId),
    });
  });

  router.post('/api/compliance/check', async (req, res) => {
    const { orgId } = apiAuth(res);
    const check = checkBodySchema.strict().parse(req.body ?? {});
    res.json(await checkOutbound(db, { ...check, orgId }));
  });

  // Registry files are large: send them as text/plain (areaCode and dataDate in the query).
  router.post('/api/compliance/dnc/import', textBody('64mb'), async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const body =
      typeof req.body === 'string'
        ? {
            text: req.body,
            areaCode: queryString(req.query.areaCode),
            dataDate: queryString(req.query.dataDate),
          }
        : registryBodySchema.parse(req.body ?? {});
    // Without a data date the import date stands in, and the answer says so.
    const assumed = !body.dataDate;
    const dataDate = body.dataDate ?? new Date().toISOString().slice(0, 10);
    const result = await importNationalRegistry(db, orgId, { ...body, dataDate }, actor);
    res.status(201).json({
      ...result,
      warnings: assumed ? [...result.warnings, 'dnc_data_date_assumed'] : result.warnings,
    });
  });

  router.get('/api/compliance/dnc', async (req, res) => {
    const { orgId } = apiAuth(res);
    const given = queryString(req.query.phone);
    const phone = given === undefined ? undefined : normalizePhone(given);
    if (phone === null) throw new DomainError('invalid', 'phone must be a phone number, e.g. +14155550123');
    res.json({
      ...(phone ? { phone, listed: await doNotCallListings(db, orgId, phone) } : {}),
      national: await nationalRegistryStatus(db, orgId, { phone }),
    });
  });

  router.post('/api/compliance/dnc', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const { phone } = phoneBodySchema.parse(req.body ?? {});
    res.status(201).json({ phone: await addToDoNotCallList(db, orgId, phone, actor), list: 'org' });
  });

  router.post('/api/compliance/dnc/remove', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const { phone } = phoneBodySchema.parse(req.body ?? {});
    res.json(await removeFromDoNotCallList(db, orgId, phone, actor));
  });

  router.post('/api/compliance/dnc/contact', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const { contactId, doNotCall } = contactDncBodySchema.parse(req.body ?? {});
    await setContactDoNotCall(db, orgId, contactId, doNotCall, actor);
    res.json({ contactId, doNotCall });
  });

  router.post('/api/compliance/timezone', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const { contactId, timezone } = timezoneBodySchema.parse(req.body ?? {});
    await setContactTimezone(db, orgId, contactId, timezone, actor);
    res.json({ contactId, timezone });
  });

  router.get('/api/compliance/audit', async (req, res) => {
    const { orgId } = apiAuth(res);
    const contactId = optionalUuid(req.query.contactId, 'contactId');
    const limit = limitSchema.parse(req.query.limit);
    res.json({ items: await listAudit(db, orgId, { contactId, limit }) });
  });

  router.get('/api/compliance/audit.csv', async (req, res) => {
    const { orgId } = apiAuth(res);
    const contactId = optionalUuid(req.query.contactId, 'contactId');
    const entries = await listAudit(db, orgId, {
      contactId,
      limit: limitSchema.parse(req.query.limit) ?? 10_000,
    });
    res
      .type('text/csv; charset=utf-8')
      .attachment(`audit-${contactId ?? 'all'}.csv`)
      .send(auditCsv(entries));
  });

  router.get('/api/compliance/audit/verify', async (_req, res) => {
    const { orgId } = apiAuth(res);
    res.json(await verifyAuditChain(db, orgId));
  });

  return router;
}

function queryString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
