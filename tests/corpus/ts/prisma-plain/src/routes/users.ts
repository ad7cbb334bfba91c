import express from "express";
import { prisma } from "../db";
import { sendWelcome } from "../jobs/mail";

export const router = express.Router();

router.get("/users/:id", async (req, res) => {
  const user = await prisma.user.findUnique({ where: { id: req.params.id } });
  res.json(user);
});

router.post("/users", async (req, res) => {
  const user = await prisma.user.create({ data: req.body });
  sendWelcome(user.email); // expect: errors/floating-promise
  res.status(201).json(user);
});

router.get("/search", async (req, res) => {
  const order = String(req.query.order ?? "name");
  const rows = await prisma.$queryRawUnsafe("SELECT * FROM users ORDER BY " + order); // expect: security/prisma-raw-unsafe
  res.json(rows);
});
