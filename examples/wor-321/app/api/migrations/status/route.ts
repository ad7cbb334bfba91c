import { auth } from "@clerk/nextjs/server";

import { withUserContext } from "@/lib/db/context";

export async function GET() {
  const { userId } = await auth();
  if (!userId) return new Response("Unauthorized", { status: 401 });

  return Response.json(
    await withUserContext(userId, (tx) =>
      tx.migrationStatus.findMany({ orderBy: { checkedAt: "desc" }, take: 50 }),
    ),
  );
}
