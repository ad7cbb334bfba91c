; rls/supabase-service-role — the predicate in src/rules/rls/supabase_service_role.rs decides.

; A Supabase client built with some key: createClient(url, key), createServerClient(url, key, …),
; createBrowserClient(url, key). The callee must be imported from @supabase/supabase-js or
; @supabase/ssr.
(call_expression
  function: (identifier) @callee
  arguments: (arguments . (_) . (_) @key)
  (#any-of? @callee "createClient" "createServerClient" "createBrowserClient")) @match

; A public env variable holding the service-role key: process.env.NEXT_PUBLIC_…SERVICE_ROLE…
(member_expression
  property: (property_identifier) @public_name
  (#match? @public_name "^NEXT_PUBLIC_")) @match

; process.env["NEXT_PUBLIC_…"]
(subscript_expression
  index: (string (string_fragment) @public_name)
  (#match? @public_name "^NEXT_PUBLIC_")) @match
