; security/prisma-raw-unsafe — `$queryRawUnsafe(sql)` / `$executeRawUnsafe(sql)` on any receiver.
; The predicate in src/rules/security/prisma_raw_unsafe.rs lets constant SQL through (string
; literals, templates without substitutions, concatenations of those, same-file constants).
; The tagged template `$queryRaw`…`` is parameterised and never matches (its arguments are a
; template_string, not `arguments`). Only the method name is matched here; the predicate checks
; that it is called (`receiver.$queryRawUnsafe(sql, …)`) and reads the SQL argument. A pattern
; without children costs next to nothing to compile (docs/performance.md).
((property_identifier) @operation @match
  (#any-of? @operation "$queryRawUnsafe" "$executeRawUnsafe"))
