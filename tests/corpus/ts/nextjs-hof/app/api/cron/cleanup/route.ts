import { prisma } from "@/lib/prisma";

export async function GET(req: Request) {
  if (req.headers.get("Authorization") !== `Bearer ${process.env.CRON_SECRET}`) {
    return new Response("Unauthorized", { status: 401 });
  }
  const { count } = await prisma.link.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  return Response.json({ deleted: count });
}
