import type { Prisma } from "@prisma/client";

import { prisma } from "@/lib/db/client";

/** Actor id recorded for work done by scripts and CI rather than a person. */
export const SYSTEM_ACTOR_ID = "system:migration-automation";

/**
 * Runs `fn` in a transaction scoped to one user. Row level security policies
 * read the user from the transaction-local settings, so every query issued
 * through `tx` only sees that user's rows.
 */
export async function withUserContext<T>(
  userId: string,
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  if (!userId) {
    throw new Error("withUserContext: a user id is required");
  }

  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('app.current_user_id', ${userId}, true)`;
    await tx.$executeRaw`SELECT set_config('request.jwt.claim.sub', ${userId}, true)`;
    await tx.$executeRaw`SET LOCAL ROLE authenticated`;
    return fn(tx);
  });
}

/**
 * Runs `fn` in a transaction for trusted server-side jobs (seeding, CI
 * verification). The work is attributed to SYSTEM_ACTOR_ID and runs with
 * tenant filtering lifted, so only use it where no end user is involved.
 */
export async function withSystemContext<T>(
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('app.current_user_id', ${SYSTEM_ACTOR_ID}, true)`;
    await tx.$executeRaw`SELECT set_config('app.bypass_tenant', 'on', true)`;
    return fn(tx);
  });
}
