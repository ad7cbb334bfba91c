import { createAdminClient } from "@/utils/supabase/admin";
import { createClient } from "@/utils/supabase/server";

export async function POST(req: Request) {
  const supabase = await createClient();
  const { data: { user } } = await supabase.auth.getUser();
  if (!user || user.app_metadata.role !== "admin") return new Response("Forbidden", { status: 403 });
  const { targetId } = await req.json();
  const admin = createAdminClient();
  const { data } = await admin.from("profiles").select("id, email").eq("id", targetId).single();
  return Response.json(data);
}
