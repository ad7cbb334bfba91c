; auth/route-missing-auth — exported handlers. The predicate in src/rules/auth/route_missing_auth.rs
; keeps only Next.js App Router handlers (`app/**/route.*`: GET, POST, PUT, PATCH, DELETE) and
; Pages API handlers (`pages/api/**`: the default export), then checks that a guard runs before
; the handler reaches data.

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

; export default handler / export default withAuth(handler) / export default async function () {}
(export_statement
  value: (_) @handler) @match
