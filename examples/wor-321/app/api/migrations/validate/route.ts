import { prisma } from "@/lib/db/client";

type ValidateRequest = { workspaceId?: string; migration?: string };

// Statements an automated migration must never run against production.
const FORBIDDEN = [/\bdrop\s+table\b/i, /\btruncate\b/i, /\bdisable\s+row\s+level\s+security\b/i];

export async function POST(req: Request) {
  const { workspaceId, migration }: ValidateRequest = await req.json();
  if (!workspaceId || !migration) return new Response("Bad Request", { status: 400 });
  const problems = FORBIDDEN.filter((re) => re.test(migration)).map((re) => re.source);
  const run = await prisma.migrationRun.create({
    data: {
      workspaceId,
      status: problems.length === 0 ? "validated" : "rejected",
      reports: {
        create: {
          migration,
          passed: problems.length === 0,
          summary: { problems: problems.join("; ") },
        },
      },
    },
  });

  return Response.json({ runId: run.id, status: run.status, problems }, { status: 201 });
}
