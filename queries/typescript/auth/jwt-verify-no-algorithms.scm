; auth/jwt-verify-no-algorithms — `jwt.verify(token, key, …)`, `verify(…)`, `jwtVerify(…)`,
; `jose.jwtVerify(…)`. The predicate in src/rules/auth/jwt_verify_no_algorithms.rs checks that the
; callee is a plain name or `object.name`, that it comes from `jsonwebtoken` / `jose`, and looks
; for an `algorithms` option. One flat pattern (the text test only narrows the calls): nested
; alternatives cost far more to compile (docs/performance.md).
(call_expression
  function: [(identifier) (member_expression)] @function
  arguments: (arguments) @args
  (#match? @function "(^|[.])(verify|jwtVerify)$")) @match
