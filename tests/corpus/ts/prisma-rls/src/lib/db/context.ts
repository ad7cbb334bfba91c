import type { Prisma } from "@prisma/client";
import { db } from "./client";

export async function withUserContext<T>(userId: string, fn: (tx: Prisma.TransactionClient) => Promise<T>) {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('app.user_id', ${userId}, true)`;
    return fn(tx);
  });
}

export async function withSystemContext<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>) {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('app.bypass', 'on', true)`;
    return fn(tx);
  });
}
