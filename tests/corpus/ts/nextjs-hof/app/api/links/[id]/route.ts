import { prisma } from "@/lib/prisma";
import { withWorkspace } from "@/lib/auth";
import { withErrorHandling } from "@/lib/api/errors";

type Params = { params: Promise<{ id: string }> };

export const GET = withWorkspace(async ({ req, workspace }) => {
  const id = new URL(req.url).pathname.split("/").pop();
  return Response.json(await prisma.link.findFirst({ where: { id, workspaceId: workspace.id } }));
});

// Public redirect lookup, wrapped only for error handling: anyone can delete links by id.
export const DELETE = withErrorHandling(async (req: Request) => {
  const id = new URL(req.url).pathname.split("/").pop();
  await prisma.link.delete({ where: { id } }); // expect: auth/route-missing-auth
  return new Response(null, { status: 204 });
});

export async function PATCH(req: Request, { params }: Params) {
  const { id } = await params;
  const session = await getSession();
  if (!session) return new Response("Unauthorized", { status: 401 });
  const data = await req.json();
  return Response.json(await prisma.link.update({ where: { id, userId: session.user.id }, data }));
}

import { getSession } from "@/lib/auth";
