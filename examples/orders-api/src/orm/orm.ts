/** Which ORM the order stores (transitions, Idempotency-Keys, outbox) run on. */
export const ORMS = ['typeorm', 'prisma', 'drizzle', 'mikro-orm'] as const;
export type Orm = (typeof ORMS)[number];

/** ORM=typeorm|prisma|drizzle|mikro-orm (default typeorm); anything else stops the demo. */
export function ormFromEnv(env: NodeJS.ProcessEnv = process.env): Orm {
  const orm = env.ORM ?? 'typeorm';
  if (!(ORMS as readonly string[]).includes(orm)) {
    throw new Error(`orders-api: ORM must be one of ${ORMS.join(', ')}, not '${orm}'`);
  }
  return orm as Orm;
}

/** The ORM's database handle (a Prisma client, a Drizzle database, a MikroORM EntityManager). */
export const ORM_HANDLE = Symbol('orm handle');
/** How the notifier writes a notification row through a delivery's transaction handle. */
export const NOTIFICATION_WRITER = Symbol('notification writer');

export interface NotificationRow {
  readonly orderId: number;
  readonly event: string;
  readonly transitionId: string;
  readonly text: string;
}
export type NotificationWriter = (tx: unknown, row: NotificationRow) => Promise<void>;
