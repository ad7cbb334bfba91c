import { prisma } from "@/lib/prisma";
import { withAdmin } from "@/lib/auth";

export const GET = withAdmin(async () => Response.json(await prisma.workspace.findMany()));

export async function POST(req: Request) {
  const { name, ownerId } = await req.json();
  const workspace = await prisma.workspace.create({ data: { name, users: { create: { userId: ownerId } } } }); // expect: auth/route-missing-auth
  return Response.json(workspace, { status: 201 });
}
