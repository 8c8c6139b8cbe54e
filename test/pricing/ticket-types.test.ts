import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, type TestUser } from '../setup/factories.ts';

let app: TestApp;
let staff: TestUser;
let customer: TestUser;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  customer = await createUser(app.db);
});
afterAll(() => app.close());

const code = (prefix: string) => `${prefix}_${randomBytes(3).toString('hex').toUpperCase()}`;
const create = (body: unknown, user = staff) => app.http.post('/api/admin/ticket-types', body, { token: user.token });
const patch = (id: number, body: unknown) => app.http.send('PATCH', `/api/admin/ticket-types/${id}`, body, { token: staff.token });
const rows = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ticket_types`.execute(app.db)).rows[0]!.n;

describe('ticket types', () => {
  it('when the database is new, then Adult exists and is on sale online', async () => {
    const reply = await app.http.get('/api/ticket-types');
    expect(reply.status).toBe(200);
    expect(reply.body.items).toContainEqual({
      id: expect.any(Number),
      code: 'ADULT',
      name: 'Adult',
      sold_online: true,
      sold_at_box_office: true,
      min_per_order: null,
      max_per_order: null,
      staff_only: false,
      active: true,
      max_film_min_age: null,
    });
  });

  it('when staff create a ticket type, then 201 with its defaults, it is listed, and the audit log has it', async () => {
    const child = code('CHILD');
    const reply = await create({ code: child, name: 'Child (under 12)', max_per_order: 6 });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      id: expect.any(Number),
      code: child,
      name: 'Child (under 12)',
      sold_online: true,
      sold_at_box_office: true,
      min_per_order: null,
      max_per_order: 6,
      staff_only: false,
      active: true,
      max_film_min_age: null,
    });
    expect((await app.http.get('/api/ticket-types')).body.items.map((t: { code: string }) => t.code)).toContain(child);
    const audit = await sql<{ user_id: number; action: string }>`SELECT user_id, action FROM audit_log WHERE entity = 'ticket_type' AND entity_id = ${reply.body.id}`.execute(app.db);
    expect(audit.rows).toEqual([{ user_id: staff.id, action: 'create' }]);
  });

  it('when a type is staff-only, box-office-only or retired, then the public list leaves it out and the staff list shows it', async () => {
    const comp = (await create({ code: code('COMP'), name: 'Complimentary', staff_only: true })).body;
    const counter = (await create({ code: code('COUNTER'), name: 'Box office special', sold_online: false })).body;
    const retired = (await create({ code: code('OLD'), name: 'Old offer' })).body;
    expect((await patch(retired.id, { active: false })).body.active).toBe(false);
    const publicCodes = (await app.http.get('/api/ticket-types')).body.items.map((t: { code: string }) => t.code);
    const staffCodes = (await app.http.get('/api/admin/ticket-types', { token: staff.token })).body.items.map((t: { code: string }) => t.code);
    for (const type of [comp, counter, retired]) {
      expect(publicCodes).not.toContain(type.code);
      expect(staffCodes).toContain(type.code);
    }
  });

  it('when the code is taken, then 409 naming it, and nothing is added', async () => {
    const taken = code('SENIOR');
    expect((await create({ code: taken, name: 'Senior' })).status).toBe(201);
    const before = await rows();
    const reply = await create({ code: taken, name: 'Senior again' });
    expect([reply.status, reply.body.detail]).toEqual([409, `A ticket type with code ${taken} already exists; choose another code, or change that one.`]);
    expect(await rows()).toBe(before);
  });

  it('when the input is bad, then 400 naming the field or the rule, and nothing is added', async () => {
    const before = await rows();
    const cases: [unknown, RegExp][] = [
      [{ code: 'child', name: 'Child' }, /code/],
      [{ code: 'X', name: 'Child' }, /code/],
      [{ code: code('C'), name: '' }, /name/],
      [{ code: code('C'), name: 'Child', max_per_order: 0 }, /max_per_order/],
      [{ code: code('C'), name: 'Child', max_per_order: 2.5 }, /max_per_order/],
      [{ code: code('C'), name: 'Child', max_per_order: true }, /max_per_order/],
      [{ code: code('C'), name: 'Child', price: 500 }, /price/],
      [{ code: code('C'), name: 'Group', min_per_order: 10, max_per_order: 4 }, /^min_per_order \(10\) must not be more than max_per_order \(4\)\.$/],
      [{ code: code('C'), name: 'Nowhere', sold_online: false, sold_at_box_office: false }, /sold_online or sold_at_box_office/],
    ];
    for (const [body, detail] of cases) {
      const reply = await create(body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.detail).toMatch(detail);
    }
    expect(await rows()).toBe(before);
  });

  it('when a change would break a rule with the stored values, then 400 and the type is unchanged; an empty change is 400; an unknown id 404', async () => {
    const group = (await create({ code: code('GROUP'), name: 'Group', min_per_order: 4 })).body;
    const refused = await patch(group.id, { max_per_order: 2 });
    expect([refused.status, refused.body.detail]).toEqual([400, 'min_per_order (4) must not be more than max_per_order (2).']);
    expect((await patch(group.id, { code: 'NEW_CODE' })).status).toBe(400);
    expect((await patch(group.id, {})).body.detail).toBe('Send at least one field to change.');
    expect((await patch(999_999, { name: 'Nobody' })).status).toBe(404);
    const stored = (await app.http.get('/api/admin/ticket-types', { token: staff.token })).body.items.find((t: { id: number }) => t.id === group.id);
    expect(stored).toMatchObject({ min_per_order: 4, max_per_order: null, name: 'Group' });
    expect((await patch(group.id, { max_per_order: 8, name: 'Group of 4–8' })).body).toMatchObject({ min_per_order: 4, max_per_order: 8, name: 'Group of 4–8' });
  });

  it('when someone who is not staff asks, then 401 without a session and 403 for a customer, and nothing is added', async () => {
    const before = await rows();
    expect((await app.http.post('/api/admin/ticket-types', { code: code('X'), name: 'X' })).status).toBe(401);
    expect((await create({ code: code('X'), name: 'X' }, customer)).status).toBe(403);
    expect((await app.http.get('/api/admin/ticket-types', { token: customer.token })).status).toBe(403);
    expect(await rows()).toBe(before);
  });
});
