; rls/supabase-service-role — the predicate in src/rules/rls/supabase_service_role.rs decides.
; A Supabase client built with some key: createClient(url, key), createServerClient(url, key, …),
; createBrowserClient(url, key). The callee must be imported from @supabase/supabase-js or
; @supabase/ssr (under any local name, or through a namespace); the key is the second argument.
; Any plain call: the factory may be imported under another name
; (`import { createClient as createAdmin }`), so the predicate decides from the file's imports.
(call_expression
  function: (identifier) @callee
  arguments: (arguments) @args) @match

; A namespace import: `import * as sb from "@supabase/supabase-js"; sb.createClient(url, key)`.
(call_expression
  function: (member_expression
    object: (identifier) @namespace
    property: (property_identifier) @callee)
  arguments: (arguments) @args
  (#any-of? @callee "createClient" "createServerClient" "createBrowserClient")) @match

; A public env variable holding the service-role key: process.env.NEXT_PUBLIC_…SERVICE_ROLE…
; or process.env["NEXT_PUBLIC_…"]. The names alone are matched here; the predicate checks that
; one is the property of a member expression or the string index of a subscript, and reports
; that expression. (Patterns without children cost next to nothing to compile.)
((property_identifier) @public_name @match
  (#match? @public_name "^NEXT_PUBLIC_"))

((string_fragment) @public_name @match
  (#match? @public_name "^NEXT_PUBLIC_"))
