import { db, withSystemContext } from "../src/lib/db";

async function backfill(batch: number) {
  return withSystemContext(async (tx) => {
    const rows = await tx.project.findMany({ where: { slug: null }, take: batch });
    for (const row of rows) {
      await tx.project.update({ where: { id: row.id }, data: { slug: row.name.toLowerCase() } });
    }
    return rows.length;
  });
}

async function main() {
  let done = 0;
  for (let n = await backfill(100); n > 0; n = await backfill(100)) done += n;
  console.log(`backfilled ${done}`);
  await db.$disconnect();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
