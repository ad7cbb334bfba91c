import { prisma } from "@/lib/prisma";
import { getServerSession } from "next-auth";

export type Session = { user: { id: string; email: string } };

export async function getSession(): Promise<Session | null> {
  return (await getServerSession()) as Session | null;
}

type Handler = (ctx: { req: Request; session: Session; workspace: { id: string } }) => Promise<Response>;

export function withWorkspace(handler: Handler) {
  return async (req: Request) => {
    const session = await getSession();
    if (!session) return new Response("Unauthorized", { status: 401 });
    const slug = new URL(req.url).searchParams.get("workspace") ?? "";
    const workspace = await prisma.workspace.findFirst({ where: { slug, users: { some: { userId: session.user.id } } } });
    if (!workspace) return new Response("Not found", { status: 404 });
    return handler({ req, session, workspace });
  };
}

export function withAdmin(handler: (req: Request) => Promise<Response>) {
  return async (req: Request) => {
    const session = await getSession();
    if (session?.user.email !== process.env.ADMIN_EMAIL) return new Response("Forbidden", { status: 403 });
    return handler(req);
  };
}
