import { createClient } from "@/utils/supabase/server";

// Session-scoped client: RLS authorizes the rows; no service role.
export async function GET() {
  const supabase = await createClient();
  const { data } = await supabase.from("profiles").select("display_name, avatar_url");
  return Response.json(data ?? []);
}

export async function PUT(req: Request) {
  const supabase = await createClient();
  const { data: { user } } = await supabase.auth.getUser();
  if (!user) return new Response("Unauthorized", { status: 401 });
  const patch = await req.json();
  const { error } = await supabase.from("profiles").update(patch).eq("id", user.id);
  return error ? Response.json({ error: error.message }, { status: 400 }) : new Response(null, { status: 204 });
}
