import { prisma } from "../db";

export async function sendWelcome(email: string): Promise<void> {
  await fetch("https://mail.example.com/send", { method: "POST", body: JSON.stringify({ email, template: "welcome" }) });
}

export function scheduleDigest() {
  setInterval(() => {
    prisma.user
      .findMany({ where: { digest: true } })
      .then((users) => Promise.all(users.map((u) => sendWelcome(u.email))))
      .catch((error) => console.error("digest failed", error));
  }, 86_400_000);
}

export async function purgeStale() {
  prisma.session.deleteMany({ where: { expiresAt: { lt: new Date() } } }); // expect: errors/floating-promise
}
