"use client";
import { createClient } from "@supabase/supabase-js";

// Shipped to the browser with an admin key.
const admin = createClient(process.env.NEXT_PUBLIC_SUPABASE_URL!, process.env.NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY!); // expect: rls/supabase-service-role, rls/supabase-service-role

export function AdminTools() {
  return <button onClick={() => admin.from("audit").delete().lt("created_at", "2020-01-01")}>Purge</button>;
}
