import { db, withSystemContext } from "@/lib/db";

export async function GET(req: Request) {
  const month = new URL(req.url).searchParams.get("month") ?? "";
  const rows = await withSystemContext((tx) => tx.report.findMany({ where: { month } })); // expect: auth/route-missing-auth
  const total = await db.report.count(); // expect: rls/prisma-outside-context
  return Response.json({ rows, total });
}
