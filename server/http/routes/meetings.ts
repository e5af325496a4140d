import { Router } from 'express';
import { z } from 'zod';
import { isValidTimeZone } from '../../../core/compliance/recipient.ts';
import type { Db } from '../../../core/db.ts';
import { findFreeSlots } from '../../../core/meetings/free-slots.ts';
import {
  bookMeeting,
  cancelMeeting,
  getMeeting,
  listMeetings,
  rescheduleMeeting,
} from '../../../core/meetings/meetings.ts';
import {
  getRepAvailability,
  repAvailabilityUpdateSchema,
  setRepAvailability,
} from '../../../core/meetings/rep-availability.ts';
import { apiAuth } from '../api-auth.ts';
import { requireUuid } from '../params.ts';

/** An empty query parameter (`?repId=`) means the parameter is not given. */
const optionalParam = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const dateTime = (name: string) =>
  z.iso
    .datetime({
      offset: true,
      message: `${name} must be an ISO 8601 date and time, e.g. 2026-12-08T15:00:00Z`,
    })
    .transform((value) => new Date(value));

export const meetingsQuerySchema = z.strictObject({
  contactId: optionalParam(z.uuid('contactId must be a UUID')),
  repId: optionalParam(z.uuid('repId must be a UUID')),
  from: optionalParam(dateTime('from')),
  to: optionalParam(dateTime('to')),
  status: optionalParam(z.enum(['booked', 'cancelled'])),
});

export const meetingSlotsQuerySchema = z.strictObject({
  repId: optionalParam(z.uuid('repId must be a UUID')),
  limit: optionalParam(z.coerce.number().int().min(1).max(20)),
});

export const bookMeetingSchema = z.strictObject({
  contactId: z.uuid('contactId must be a UUID'),
  repId: z.uuid('repId must be a UUID'),
  startsAt: dateTime('startsAt'),
  title: z.string().trim().min(1).max(200).optional(),
  prospectTimeZone: z
    .string()
    .min(1)
    .refine(isValidTimeZone, 'an IANA time zone such as Europe/Berlin')
    .optional(),
});

export const rescheduleMeetingSchema = z.strictObject({ startsAt: dateTime('startsAt') });

export const cancelMeetingSchema = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

/**
 * Meetings with reps, without a calendar vendor: free slots from the reps' availability, booking
 * (409 when the time was just taken, 400 outside the rep's hours), rescheduling, cancelling, and a
 * rep's availability. The invitations follow from the events (inngest/functions/meeting-invites.ts).
 */
export function meetingRoutes(db: Db): Router {
  const router = Router();

  router.get('/api/meetings', async (req, res) => {
    const { orgId } = apiAuth(res);
    res.json({ items: await listMeetings(db, orgId, meetingsQuerySchema.parse(req.query)) });
  });

  // Before `/api/meetings/:id`, which would otherwise take "slots" for an id.
  router.get('/api/meetings/slots', async (req, res) => {
    const { orgId } = apiAuth(res);
    const { repId, limit } = meetingSlotsQuerySchema.parse(req.query);
    res.json({ items: await findFreeSlots(db, orgId, { repId, limit, now: new Date() }) });
  });

  router.get('/api/meetings/:id', async (req, res) => {
    const { orgId } = apiAuth(res);
    res.json(await getMeeting(db, orgId, requireUuid(req.params.id, 'id')));
  });

  router.post('/api/meetings', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const input = bookMeetingSchema.parse(req.body ?? {});
    res.status(201).json(await bookMeeting(db, { ...input, orgId, actor, now: new Date() }));
  });

  router.patch('/api/meetings/:id', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const meetingId = requireUuid(req.params.id, 'id');
    const { startsAt } = rescheduleMeetingSchema.parse(req.body ?? {});
    res.json(await rescheduleMeeting(db, { orgId, meetingId, startsAt, actor, now: new Date() }));
  });

  router.post('/api/meetings/:id/cancel', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const meetingId = requireUuid(req.params.id, 'id');
    const { reason } = cancelMeetingSchema.parse(req.body ?? {});
    res.json(await cancelMeeting(db, { orgId, meetingId, reason, actor, now: new Date() }));
  });

  router.get('/api/reps/:id/availability', async (req, res) => {
    const { orgId } = apiAuth(res);
    res.json({ availability: await getRepAvailability(db, orgId, requireUuid(req.params.id, 'id')) });
  });

  router.put('/api/reps/:id/availability', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const repId = requireUuid(req.params.id, 'id');
    const { availability } = repAvailabilityUpdateSchema.parse(req.body ?? {});
    res.json({ availability: await setRepAvailability(db, orgId, repId, availability, actor) });
  });

  return router;
}
