import { PrismaClient } from "@prisma/client";

// The only place the raw client is built; routes use the scoped `db` from "@/lib/db".
export const raw = new PrismaClient();
