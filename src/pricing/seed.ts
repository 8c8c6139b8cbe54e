import type { Database } from '../db/database.ts';

/** The demo cinema's ticket types besides Adult (which every database has): what a cinema typically sells. */
const demoTypes = [
  { code: 'CHILD', name: 'Child (under 12)' },
  { code: 'SENIOR', name: 'Senior (65 and over)' },
  { code: 'STUDENT', name: 'Student' },
  { code: 'COMP', name: 'Complimentary', staff_only: true, sold_online: false },
];

/** Adds the demo ticket types that are missing; a type staff already have (by code) is left as it is. */
export async function seedDemoTicketTypes(db: Database): Promise<void> {
  await db.insertInto('ticket_types').values(demoTypes).onConflict((oc) => oc.column('code').doNothing()).execute();
}
