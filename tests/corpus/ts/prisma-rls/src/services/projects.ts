import { db as prisma, withTenant } from "@/lib/db";

export type ProjectDTO = { id: string; name: string; ownerId: string };

export async function listProjects(userId: string): Promise<ProjectDTO[]> {
  return withTenant(userId, (tx) => tx.project.findMany({ where: { ownerId: userId } }));
}

export async function renameProject(userId: string, id: string, name: string) {
  return withTenant(userId, async (tx) => {
    const project = await tx.project.update({ where: { id }, data: { name } });
    await prisma.activity.create({ data: { projectId: id, kind: "renamed" } }); // expect: rls/prisma-outside-context
    return project;
  });
}

export async function searchProjects(userId: string, term: string) {
  return withTenant(userId, (tx) =>
    tx.$queryRawUnsafe(`SELECT id, name FROM projects WHERE name ILIKE '%${term}%'`), // expect: security/prisma-raw-unsafe
  );
}

export async function countByOwner(userId: string) {
  return withTenant(userId, (tx) => tx.$queryRaw`SELECT count(*) FROM projects WHERE owner_id = ${userId}`);
}
