import { auth } from "@/auth";
import { listProjects, renameProject } from "@/services/projects";

export async function GET() {
  const session = await auth();
  if (!session?.user) return new Response("Unauthorized", { status: 401 });
  return Response.json(await listProjects(session.user.id));
}

export async function PATCH(req: Request) {
  const session = await auth();
  if (!session?.user) return new Response("Unauthorized", { status: 401 });
  const { id, name } = await req.json();
  return Response.json(await renameProject(session.user.id, id, name));
}
