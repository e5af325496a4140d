import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { listAudit } from '../audit.ts';
import { createOrganization } from '../organizations.ts';
import {
  addToDoNotCallList,
  doNotCallListings,
  importNationalRegistry,
  nationalRegistryStatus,
  removeFromDoNotCallList,
} from './do-not-call.ts';

let db: Database;
let orgId: string;
let otherOrgId: string;
const today = new Date('2026-11-01T15:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  ({ orgId: otherOrgId } = await createOrganization(db, { name: 'Globex' }, systemActor));
});
afterAll(() => db.close());

describe('national registry import', () => {
  it('imports one 10-digit number per line, normalized to E.164, and records the data date', async () => {
    const text = [
      '2015550100',
      '201-555-0101',
      '201,5550102',
      '',
      '12015550103',
      '2015550100',
      'not a number',
      '555',
    ];
    const result = await importNationalRegistry(
      db,
      orgId,
      { text: text.join('\r\n'), areaCode: '201', dataDate: '2026-10-20' },
      systemActor,
      today,
    );
    expect(result).toMatchObject({
      numbers: 4,
      areaCodes: ['201'],
      dataDate: '2026-10-20',
      invalidLines: 2,
      outsideAreaCode: 0,
      warnings: [],
    });
    expect(await doNotCallListings(db, orgId, '+12015550101')).toEqual({ org: false, national: true });
    expect(await doNotCallListings(db, orgId, '(201) 555-0103')).toEqual({ org: false, national: true });
    expect(await doNotCallListings(db, orgId, '+12015550199')).toEqual({ org: false, national: false });
    // Imported for Acme only.
    expect(await doNotCallListings(db, otherOrgId, '+12015550101')).toEqual({ org: false, national: false });

    const [record] = await db.query<{ area_codes: string[]; numbers: number; data_date: string }>(
      `select area_codes, numbers, to_char(data_date, 'YYYY-MM-DD') as data_date from dnc_imports where id = $1`,
      [result.importId],
    );
    expect(record).toEqual({ area_codes: ['201'], numbers: 4, data_date: '2026-10-20' });
    const audit = await listAudit(db, orgId, {});
    expect(audit.at(-1)).toMatchObject({ action: 'dnc.national.imported', entityId: result.importId });
  });

  it('skips numbers outside the named area code and replaces the area code’s previous list', async () => {
    await importNationalRegistry(
      db,
      orgId,
      { text: '3035550100\n3035550101\n', areaCode: '303', dataDate: '2026-10-01' },
      systemActor,
      today,
    );
    const newer = await importNationalRegistry(
      db,
      orgId,
      { text: '3035550101\n3035550102\n7205550100\n', areaCode: '303', dataDate: '2026-10-25' },
      systemActor,
      today,
    );
    expect(newer).toMatchObject({ numbers: 2, outsideAreaCode: 1 });
    // 0100 left the registry, so it may be called again.
    expect((await doNotCallListings(db, orgId, '+13035550100')).national).toBe(false);
    expect((await doNotCallListings(db, orgId, '+13035550102')).national).toBe(true);
    expect((await doNotCallListings(db, orgId, '+17205550100')).national).toBe(false);
  });

  it('derives the area codes of a file without one', async () => {
    const result = await importNationalRegistry(
      db,
      orgId,
      { text: '4155550100\n6505550100\n', dataDate: '2026-10-30' },
      systemActor,
      today,
    );
    expect(result.areaCodes).toEqual(['415', '650']);
  });

  it('refuses a file without numbers, or data from the future, and changes nothing', async () => {
    const before = await db.query('select count(*)::int as n from dnc_imports');
    await expect(
      importNationalRegistry(
        db,
        orgId,
        { text: 'phone\nhello\n', dataDate: '2026-10-30' },
        systemActor,
        today,
      ),
    ).rejects.toMatchObject({ kind: 'invalid' });
    await expect(
      importNationalRegistry(db, orgId, { text: '', dataDate: '2026-10-30' }, systemActor, today),
    ).rejects.toThrow(/text is empty/);
    await expect(
      importNationalRegistry(db, orgId, { text: '2125550100', dataDate: '2026-12-30' }, systemActor, today),
    ).rejects.toThrow(/future/);
    await expect(
      importNationalRegistry(db, orgId, { text: '2125550100', dataDate: '30/10/2026' }, systemActor, today),
    ).rejects.toThrow(/YYYY-MM-DD/);
    expect(await db.query('select count(*)::int as n from dnc_imports')).toEqual(before);
  });

  it('warns when the data is more than 31 days old', async () => {
    const oneMonth = await importNationalRegistry(
      db,
      otherOrgId,
      { text: '9175550100', areaCode: '917', dataDate: '2026-10-01' },
      systemActor,
      today,
    );
    expect(oneMonth.warnings).toEqual([]); // exactly 31 days
    const older = await importNationalRegistry(
      db,
      otherOrgId,
      { text: '6465550100', areaCode: '646', dataDate: '2026-09-30' },
      systemActor,
      today,
    );
    expect(older.warnings).toEqual(['dnc_national_stale']);

    const status = await nationalRegistryStatus(db, otherOrgId, { now: today });
    expect(status).toEqual({
      areaCodes: [
        { areaCode: '646', dataDate: '2026-09-30', stale: true },
        { areaCode: '917', dataDate: '2026-10-01', stale: false },
      ],
      warnings: ['dnc_national_stale'],
    });
    expect(
      (await nationalRegistryStatus(db, otherOrgId, { phone: '+19175550199', now: today })).warnings,
    ).toEqual([]);
    // A day later the 917 data is stale too.
    const tomorrow = new Date(today.getTime() + 86_400_000);
    expect(
      (await nationalRegistryStatus(db, otherOrgId, { phone: '+19175550199', now: tomorrow })).warnings,
    ).toEqual(['dnc_national_stale']);
    expect(
      (await nationalRegistryStatus(db, otherOrgId, { phone: '+13125550199', now: today })).warnings,
    ).toEqual(['dnc_national_not_imported']);
  });
});

describe("the organization's own list", () => {
  it('adds and removes numbers, normalized, and audits both', async () => {
    expect(await addToDoNotCallList(db, orgId, '(312) 555-0100', systemActor)).toBe('+13125550100');
    expect(await doNotCallListings(db, orgId, '+13125550100')).toEqual({ org: true, national: false });
    expect(await removeFromDoNotCallList(db, orgId, '3125550100', systemActor)).toEqual({
      phone: '+13125550100',
      removed: true,
    });
    expect(await removeFromDoNotCallList(db, orgId, '3125550100', systemActor)).toMatchObject({
      removed: false,
    });
    expect(await doNotCallListings(db, orgId, '+13125550100')).toEqual({ org: false, national: false });
    const actions = (await listAudit(db, orgId, {})).map((entry) => entry.action);
    expect(actions).toContain('dnc.org.added');
    expect(actions).toContain('dnc.org.removed');
    await expect(addToDoNotCallList(db, orgId, 'call me maybe', systemActor)).rejects.toThrow(/phone number/);
  });
});
