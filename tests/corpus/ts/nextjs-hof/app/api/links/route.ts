import { prisma } from "@/lib/prisma";
import { withWorkspace } from "@/lib/auth";
import { logEvent } from "@/lib/api/errors";

export const GET = withWorkspace(async ({ workspace }) => {
  const links = await prisma.link.findMany({ where: { workspaceId: workspace.id }, take: 100 });
  return Response.json(links);
});

export const POST = withWorkspace(async ({ req, workspace, session }) => {
  const body = await req.json();
  const link = await prisma.link.create({ data: { ...body, workspaceId: workspace.id, userId: session.user.id } });
  logEvent("link.created", { id: link.id }); // expect: errors/floating-promise
  return Response.json(link, { status: 201 });
});
