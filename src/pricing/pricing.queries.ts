import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { TicketType, TicketTypeBody, TicketTypePatch } from './pricing.schemas.ts';

type Db = Kysely<DB> | Transaction<DB>;

const columns = ['id', 'code', 'name', 'sold_online', 'sold_at_box_office', 'min_per_order', 'max_per_order', 'staff_only', 'active'] as const;

export function listTicketTypes(db: Db, only: { sellableOnline: boolean }): Promise<TicketType[]> {
  let query = db.selectFrom('ticket_types').select(columns).orderBy('id');
  if (only.sellableOnline) {
    query = query.where('active', '=', true).where('sold_online', '=', true).where('staff_only', '=', false);
  }
  return query.execute();
}

/** The row, locked for a change in this transaction. */
export function lockTicketType(trx: Transaction<DB>, id: number): Promise<TicketType | undefined> {
  return trx.selectFrom('ticket_types').select(columns).where('id', '=', id).forUpdate().executeTakeFirst();
}

export function insertTicketType(db: Db, body: TicketTypeBody): Promise<TicketType> {
  return db.insertInto('ticket_types').values(body).returning(columns).executeTakeFirstOrThrow();
}

export function updateTicketType(trx: Transaction<DB>, id: number, patch: TicketTypePatch): Promise<TicketType> {
  return trx.updateTable('ticket_types').set(patch).where('id', '=', id).returning(columns).executeTakeFirstOrThrow();
}
