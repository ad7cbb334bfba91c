; rls/prisma-outside-context — data access on a raw Prisma client.
;
; One pattern, on the method name alone: a Prisma model or raw operation. The predicate in
; src/rules/rls/prisma_outside_context.rs checks that it is called, the receiver's shape — `prisma.user.findMany(…)`,
; `prisma.$queryRaw`…``, `this.prisma.user.findMany(…)`, `this.prisma.$executeRaw(…)` — decides
; whether the client is a raw client (configured name or an alias of one, not a shadowing
; parameter) and whether the call runs inside a context wrapper's callback. Nesting those shapes
; into the query instead made it four patterns and four times as costly to compile (≈23 ms vs
; ≈6 ms per grammar), and even the one `call_expression` pattern cost ≈3.5 ms where a pattern
; without children costs next to nothing (docs/performance.md).
((property_identifier) @operation @match
  (#any-of? @operation
    "findMany" "findFirst" "findFirstOrThrow" "findUnique" "findUniqueOrThrow"
    "create" "createMany" "createManyAndReturn" "update" "updateMany" "updateManyAndReturn"
    "upsert" "delete" "deleteMany" "count" "aggregate" "groupBy"
    "$queryRaw" "$executeRaw" "$queryRawUnsafe" "$executeRawUnsafe"))
