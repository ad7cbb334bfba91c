/**
 * Seeds a local or preview database with one workspace worth of migration
 * history so the dashboard and `verify-all-migrations` have data to work on.
 *
 *   npx tsx scripts/seed-dev.ts
 */
import { prisma } from "@/lib/db/client";
import { SYSTEM_ACTOR_ID, withSystemContext } from "@/lib/db/context";

const DEV_WORKSPACE_ID = "7d0c4b8e-5a8f-4a43-9a7e-1f6a0c2d9b11";

const STEPS = ["schema-diff", "rls-check", "apply", "post-verify"] as const;

async function seedMigrationHistory(): Promise<string> {
  return withSystemContext(async (tx) => {
    await tx.migrationRun.deleteMany({ where: { workspaceId: DEV_WORKSPACE_ID } });

    const run = await tx.migrationRun.create({
      data: { workspaceId: DEV_WORKSPACE_ID, status: "applied" },
    });

    await tx.migrationStatus.createMany({
      data: STEPS.map((step) => ({ runId: run.id, step, state: "applied" })),
    });

    await tx.auditLog.create({
      data: {
        runId: run.id,
        actorId: SYSTEM_ACTOR_ID,
        action: "seed.migration-history",
        payload: { steps: STEPS.length },
      },
    });

    return run.id;
  });
}

async function main(): Promise<void> {
  process.once("SIGINT", () => {
    void prisma.$disconnect().then(() => process.exit(130));
  });

  try {
    const runId = await seedMigrationHistory();
    console.log(`[seed] workspace ${DEV_WORKSPACE_ID}: run ${runId} with ${STEPS.length} steps`);
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error("[seed] failed:", error);
  process.exitCode = 1;
});
