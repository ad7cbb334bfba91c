; `fetch("http://<service>.internal/…")` outside a `withTracing(…)` call. The pattern is
; grouped, `((…) @match …)`, so its predicates come after the `@match` capture they name.
((call_expression
   function: (identifier) @fn
   arguments: (arguments . (string (string_fragment) @url))) @match
 (#eq? @fn "fetch")
 (#match? @url "^https?://[a-z0-9-]+\\.internal(/|$)")
 (#not-inside-call? @match "withTracing"))
