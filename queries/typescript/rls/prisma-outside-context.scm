; rls/prisma-outside-context — data access on a raw Prisma client.
;
; One flat pattern: a method call whose name is a Prisma model or raw operation. The predicate in
; src/rules/rls/prisma_outside_context.rs checks the receiver's shape — `prisma.user.findMany(…)`,
; `prisma.$queryRaw`…``, `this.prisma.user.findMany(…)`, `this.prisma.$executeRaw(…)` — decides
; whether the client is a raw client (configured name or an alias of one, not a shadowing
; parameter) and whether the call runs inside a context wrapper's callback. Nesting those shapes
; into the query instead made it four patterns and four times as costly to compile (≈23 ms vs
; ≈6 ms per grammar: docs/performance.md).
(call_expression
  function: (member_expression
    object: (_) @object
    property: (property_identifier) @operation)
  (#any-of? @operation
    "findMany" "findFirst" "findFirstOrThrow" "findUnique" "findUniqueOrThrow"
    "create" "createMany" "createManyAndReturn" "update" "updateMany" "updateManyAndReturn"
    "upsert" "delete" "deleteMany" "count" "aggregate" "groupBy"
    "$queryRaw" "$executeRaw" "$queryRawUnsafe" "$executeRawUnsafe")) @match
