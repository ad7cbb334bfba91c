import crypto from "node:crypto";
import { prisma } from "@/lib/prisma";

function verifySignature(body: string, signature: string | null) {
  const expected = "sha256=" + crypto.createHmac("sha256", process.env.GITHUB_WEBHOOK_SECRET!).update(body).digest("hex");
  return signature !== null && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
}

export async function POST(req: Request) {
  const body = await req.text();
  if (!verifySignature(body, req.headers.get("x-hub-signature-256"))) {
    return new Response("Bad signature", { status: 401 });
  }
  const event = JSON.parse(body);
  await prisma.deployment.create({ data: { sha: event.after, repo: event.repository.full_name } });
  return new Response(null, { status: 204 });
}
