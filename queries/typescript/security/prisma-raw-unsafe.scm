; security/prisma-raw-unsafe — `$queryRawUnsafe(sql)` / `$executeRawUnsafe(sql)` on any receiver.
; The predicate in src/rules/security/prisma_raw_unsafe.rs lets constant SQL through (string
; literals, templates without substitutions, concatenations of those, same-file constants).
; The tagged template `$queryRaw`…`` is parameterised and never matches (its arguments are a
; template_string, not `arguments`).
(call_expression
  function: (member_expression
    property: (property_identifier) @operation)
  arguments: (arguments . (_) @sql)
  (#any-of? @operation "$queryRawUnsafe" "$executeRawUnsafe")) @match
