; auth/jwt-verify-no-algorithms — `jwt.verify(token, key, …)`, `verify(…)`, `jwtVerify(…)`,
; `jose.jwtVerify(…)`. The predicate in src/rules/auth/jwt_verify_no_algorithms.rs checks that the
; callee comes from `jsonwebtoken` / `jose` and looks for an `algorithms` option.
(call_expression
  function: (identifier) @callee
  arguments: (arguments) @args
  (#any-of? @callee "verify" "jwtVerify")) @match

(call_expression
  function: (member_expression
    object: (identifier) @object
    property: (property_identifier) @callee)
  arguments: (arguments) @args
  (#any-of? @callee "verify" "jwtVerify")) @match
