import type { Database } from '../db/database.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import { recordAudit, type Actor } from '../catalog/index.ts';
import { badRequest, conflict, notFound } from '../shared/errors.ts';
import { pricingErrors } from './pricing.errors.ts';
import * as queries from './pricing.queries.ts';
import type { TicketType, TicketTypeBody, TicketTypePatch } from './pricing.schemas.ts';

/** What the public may buy online: active, sold online, not staff-only. Staff see every type. */
export async function listTicketTypes(db: Database, who: 'public' | 'staff'): Promise<{ items: TicketType[] }> {
  return { items: await queries.listTicketTypes(db, { sellableOnline: who === 'public' }) };
}

/** The rules between fields, checked on the type as it would be after the write. */
function assertConsistent(type: Omit<TicketType, 'id' | 'code'>): void {
  if (type.min_per_order !== null && type.max_per_order !== null && type.min_per_order > type.max_per_order) {
    throw badRequest(pricingErrors.minAboveMax(type.min_per_order, type.max_per_order));
  }
  if (!type.sold_online && !type.sold_at_box_office) {
    throw badRequest(pricingErrors.soldNowhere);
  }
}

const defaults = { sold_online: true, sold_at_box_office: true, min_per_order: null, max_per_order: null, staff_only: false, active: true, max_film_min_age: null };

export async function createTicketType(db: Database, body: TicketTypeBody, actor: Actor): Promise<TicketType> {
  assertConsistent({ ...defaults, ...body });
  try {
    return await db.transaction().execute(async (trx) => {
      const created = await queries.insertTicketType(trx, body);
      await recordAudit(trx, { userId: actor.userId, action: 'create', entity: 'ticket_type', entityId: created.id, details: body });
      return created;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'ticket_types_code_key')) {
      throw conflict(pricingErrors.ticketTypeCodeTaken(body.code));
    }
    throw error;
  }
}

export async function updateTicketType(db: Database, id: number, patch: TicketTypePatch, actor: Actor): Promise<TicketType> {
  if (Object.keys(patch).length === 0) {
    throw badRequest(pricingErrors.emptyPatch);
  }
  return db.transaction().execute(async (trx) => {
    const current = await queries.lockTicketType(trx, id);
    if (current === undefined) {
      throw notFound(pricingErrors.ticketTypeNotFound);
    }
    assertConsistent({ ...current, ...patch });
    const updated = await queries.updateTicketType(trx, id, patch);
    await recordAudit(trx, { userId: actor.userId, action: 'update', entity: 'ticket_type', entityId: id, details: patch });
    return updated;
  });
}
