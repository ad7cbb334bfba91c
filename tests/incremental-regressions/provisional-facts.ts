/**
 * WOR-321: post-migration verification.
 *
 * Checks that every step of the latest migration run of a workspace reached a
 * terminal state, records the outcome in the audit log and exits non-zero when
 * something is still pending or failed. Run by CI after `supabase db reset`:
 *
 *   npx tsx scripts/verify-all-migrations.ts <workspace-id>
 */
import { prisma } from "@/lib/db/client";
import { SYSTEM_ACTOR_ID, withSystemContext } from "@/lib/db/context";

type StepProblem = {
  runId: string;
  step: string;
  state: string;
};

type VerificationResult = {
  workspaceId: string;
  runId: string | null;
  stepsChecked: number;
  problems: StepProblem[];
};

const TERMINAL_STATES = new Set(["applied", "skipped"]);

function parseArgs(argv: string[]): string {
  const workspaceId = argv[2];
  if (!workspaceId) {
    console.error("usage: verify-all-migrations <workspace-id>");
    process.exit(2);
  }
  return workspaceId;
}

async function countRuns(): Promise<number> {
  return withSystemContext(async (tx) => tx.migrationRun.count());
}

// Steps are checked against the most recent run only; older runs were
// verified when they were applied. A workspace without runs is not an error:
// fresh preview databases start empty.
async function verifyWorkspace(workspaceId: string): Promise<VerificationResult> {
  const latestRun = await prisma.migrationRun.findFirst({
    where: { workspaceId },
    orderBy: { createdAt: "desc" },
    select: { id: true, status: true },
  });

  if (!latestRun) {
    return { workspaceId, runId: null, stepsChecked: 0, problems: [] };
  }

  const steps = await prisma.migrationStatus.findMany({
    where: { runId: latestRun.id },
    orderBy: { checkedAt: "asc" },
  });

  const problems = steps
    .filter((step) => !TERMINAL_STATES.has(step.state))
    .map((step) => ({ runId: step.runId, step: step.step, state: step.state }));

  return { workspaceId, runId: latestRun.id, stepsChecked: steps.length, problems };
}

async function recordVerification(result: VerificationResult): Promise<void> {
  await withSystemContext(async (tx) => {
    if (result.runId) {
      await tx.migrationRun.update({
        where: { id: result.runId },
        data: { status: result.problems.length === 0 ? "verified" : "needs-attention" },
      });
    }

    await prisma.auditLog.create({
      data: {
        runId: result.runId,
        actorId: SYSTEM_ACTOR_ID,
        action: "migrations.verified",
        payload: { workspaceId: result.workspaceId, problems: result.problems },
      },
    });
  });
}

async function main(): Promise<void> {
  const workspaceId = parseArgs(process.argv);

  try {
    countRuns().then((total) => {
      console.log(`[verify] ${total} migration runs on record`);
    });

    const result = await verifyWorkspace(workspaceId);
    await recordVerification(result);

    if (result.problems.length > 0) {
      console.error(`[verify] ${result.problems.length} step(s) not applied:`);
      for (const problem of result.problems) {
        console.error(`  - ${problem.step}: ${problem.state}`);
      }
      process.exitCode = 1;
      return;
    }

    console.log(`[verify] ${workspaceId}: ${result.stepsChecked} step(s) applied`);
  } finally {
    await prisma.$disconnect();
  }
}

export function start(): void { main(); }
