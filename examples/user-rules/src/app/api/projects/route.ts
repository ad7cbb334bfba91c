import { PrismaClient } from "@prisma/client";
import type { Project } from "@prisma/client";

const prisma = new PrismaClient();

export async function GET(): Promise<Project[]> {
  return prisma.project.findMany();
}
