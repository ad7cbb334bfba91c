; rls/prisma-outside-context — data access on a raw Prisma client.
; The predicate in src/rules/rls/prisma_outside_context.rs decides whether `@client` is a raw
; client (configured name or an alias of one, not a shadowing parameter) and whether the call
; runs inside a context wrapper's callback.

; Model operations: prisma.user.findMany(…), prisma.user?.findFirst(…)
(call_expression
  function: (member_expression
    object: (member_expression
      object: (identifier) @client
      property: (property_identifier) @model)
    property: (property_identifier) @operation)
  (#any-of? @operation
    "findMany" "findFirst" "findFirstOrThrow" "findUnique" "findUniqueOrThrow"
    "create" "createMany" "createManyAndReturn" "update" "updateMany" "updateManyAndReturn"
    "upsert" "delete" "deleteMany" "count" "aggregate" "groupBy")) @match

; Raw operations: prisma.$queryRaw`…`, prisma.$executeRawUnsafe(…)
(call_expression
  function: (member_expression
    object: (identifier) @client
    property: (property_identifier) @operation)
  (#any-of? @operation "$queryRaw" "$executeRaw" "$queryRawUnsafe" "$executeRawUnsafe")) @match

; The same on a client held by a class: this.prisma.user.findMany(…), this.prisma.$queryRaw`…`
(call_expression
  function: (member_expression
    object: (member_expression
      object: (member_expression
        object: (this)
        property: (property_identifier) @client) @receiver
      property: (property_identifier) @model)
    property: (property_identifier) @operation)
  (#any-of? @operation
    "findMany" "findFirst" "findFirstOrThrow" "findUnique" "findUniqueOrThrow"
    "create" "createMany" "createManyAndReturn" "update" "updateMany" "updateManyAndReturn"
    "upsert" "delete" "deleteMany" "count" "aggregate" "groupBy")) @match

(call_expression
  function: (member_expression
    object: (member_expression
      object: (this)
      property: (property_identifier) @client) @receiver
    property: (property_identifier) @operation)
  (#any-of? @operation "$queryRaw" "$executeRaw" "$queryRawUnsafe" "$executeRawUnsafe")) @match
