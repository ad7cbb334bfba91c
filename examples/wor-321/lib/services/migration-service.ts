import type { MigrationRun, MigrationStatus } from "@prisma/client";

import { withUserContext } from "@/lib/db/context";
import type {
  MigrationRunDTO,
  MigrationStatusDTO,
  ValidationInput,
} from "@/lib/dto/migration";

function toRunDTO(run: MigrationRun): MigrationRunDTO {
  return {
    id: run.id,
    workspaceId: run.workspaceId,
    startedBy: run.startedBy,
    status: run.status,
    createdAt: run.createdAt.toISOString(),
  };
}

function toStatusDTO(row: MigrationStatus): MigrationStatusDTO {
  return {
    id: row.id,
    runId: row.runId,
    step: row.step,
    state: row.state,
    checkedAt: row.checkedAt.toISOString(),
  };
}

export async function listRuns(
  userId: string,
  workspaceId: string,
): Promise<MigrationRunDTO[]> {
  return withUserContext(userId, async (tx) => {
    const runs = await tx.migrationRun.findMany({
      where: { workspaceId },
      orderBy: { createdAt: "desc" },
      take: 20,
    });
    return runs.map(toRunDTO);
  });
}

export async function getRunSteps(
  userId: string,
  runId: string,
): Promise<MigrationStatusDTO[]> {
  return withUserContext(userId, async (tx) => {
    const steps = await tx.migrationStatus.findMany({
      where: { runId },
      orderBy: { checkedAt: "asc" },
    });
    return steps.map(toStatusDTO);
  });
}

export async function recordValidation(
  userId: string,
  input: ValidationInput,
): Promise<MigrationRunDTO> {
  return withUserContext(userId, async (tx) => {
    const run = await tx.migrationRun.create({
      data: {
        workspaceId: input.workspaceId,
        startedBy: userId,
        status: input.passed ? "validated" : "rejected",
      },
    });

    await tx.validationReport.create({
      data: {
        runId: run.id,
        migration: input.migration,
        passed: input.passed,
        summary: input.summary,
      },
    });

    await tx.auditLog.create({
      data: {
        runId: run.id,
        actorId: userId,
        action: "migration.validated",
        payload: { migration: input.migration, passed: input.passed },
      },
    });

    return toRunDTO(run);
  });
}
