; auth/route-missing-auth — endpoints. The predicate in src/rules/auth/route_missing_auth.rs keeps
; Next.js App Router handlers (`app/**/route.*`: GET, POST, PUT, PATCH, DELETE), Pages API handlers
; (`pages/api/**`: the default export) and server actions (exported functions of a `'use server'`
; file, and functions with their own `'use server'` directive), then checks that a guard
; dominates every data access.

; export async function POST(req) { … } / export default function handler(req, res) { … }
(export_statement
  declaration: (function_declaration
    name: (identifier) @name) @handler) @match

; export const GET = async (req) => { … } / export const POST = withAuth(async (req) => { … })
(export_statement
  declaration: (lexical_declaration
    (variable_declarator
      name: (identifier) @name
      value: (_) @handler))) @match

; export const { GET, POST } = handlers
(export_statement
  declaration: (lexical_declaration
    (variable_declarator
      name: (object_pattern
        (shorthand_property_identifier_pattern) @name)
      value: (_) @handler))) @match

; export { handler as GET, handler as POST } / export { GET } (not re-exports from another module)
(export_statement
  !source
  (export_clause
    (export_specifier
      name: (identifier) @handler
      alias: (identifier)? @name))) @match

; export default handler / export default withAuth(handler) / export default async function () {}
(export_statement
  value: (_) @handler) @match

; async function save() { "use server"; … } — an inline server action
(function_declaration
  body: (statement_block
    .
    (expression_statement
      (string) @directive))) @handler @match

(arrow_function
  body: (statement_block
    .
    (expression_statement
      (string) @directive))) @handler @match
