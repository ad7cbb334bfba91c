import jwt from "jsonwebtoken";
import { jwtVerify, createRemoteJWKSet } from "jose";

const JWKS = createRemoteJWKSet(new URL(process.env.SUPABASE_JWKS_URL!));

export function verifyLegacy(token: string) {
  return jwt.verify(token, process.env.SUPABASE_JWT_SECRET!); // expect: auth/jwt-verify-no-algorithms
}

export async function verifyAccessToken(token: string) {
  const { payload } = await jwtVerify(token, JWKS, { issuer: process.env.SUPABASE_URL, algorithms: ["ES256", "RS256"] });
  return payload;
}
